"""The analysts' questions as DataFrames (``frames``) and what a copy changed (``textdiff``)."""
