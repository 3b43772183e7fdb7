"""Web archives as sources of past pages: one module per archive behind ``query.Source``, the byte
pre-filter, and the checkpoints that make a backfill resumable."""
