"""``python -m pipeline.cli``: the ``newspipe`` command."""
import sys

from pipeline.cli.main import main

sys.exit(main())
