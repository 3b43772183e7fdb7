"""``newspipe backfill``: history from web archives through the run's own publish path."""
