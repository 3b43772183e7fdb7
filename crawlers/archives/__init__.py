"""Web archives as sources of past pages: one module per archive behind ``query.Source``, the byte
pre-filter, and the checkpoints that make a backfill resumable."""

# the sources' names, for a command line that offers them without importing the sources
# (pyarrow.dataset, Scrapy: most of a second); ``sources.SOURCES`` is keyed by them, in this order
SOURCE_NAMES = ("warc", "cc-news", "cc-index", "wayback", "gdelt")
