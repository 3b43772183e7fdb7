"""From raw pages to published tables, and the commands around it.

- ``settings``: every tunable in one place (defaults < sources file <
  environment < flags).
- ``extract/``: HTML in, ``Document`` out (``core.extract``; ``metadata``,
  ``titles``, ``authors``, ``cleanup``, ``verdict``, ``timelimit``).
- ``articles/``: raw pages to ``articles`` rows (``build``), with
  ``boilerplate``, ``relevance`` and ``attribution``.
- ``dedup/``: ``shingles`` -> ``kernels`` (compiled) -> ``minhash`` -> ``lsh``
  -> ``cluster``; ``signatures`` stores them. Change the algorithm here.
- ``run/``: a run's ``window``, its ``stages`` (crawl, publish, recluster),
  ``orchestration`` (what the scheduler calls) and ``report``.
- ``cli/``: the ``newspipe`` command, the demo, the local Airflow launcher.
- ``eval/``: quality harnesses and benchmarks; never imported by the rest.

Imports ``crawlers`` and ``storage``; ``dags/`` imports it.
"""
