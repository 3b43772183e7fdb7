"""Quality harnesses (extraction, metadata, dedup) and ``make bench``; never imported by production code."""
