"""Entry points: the ``newspipe`` command (``main``), the demo, the local Airflow launcher and the
file contracts of ``newspipe extract`` and ``newspipe dedup``."""
