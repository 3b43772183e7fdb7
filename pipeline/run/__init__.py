"""One run: whole-day windows, the crawl and publish stages, the scheduler's entry points, the report."""
