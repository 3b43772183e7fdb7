"""Scrapy settings for newspipe crawls. Per-outlet politeness from the sources
file overrides DOWNLOAD_DELAY, CONCURRENT_REQUESTS_PER_DOMAIN,
CLOSESPIDER_PAGECOUNT, DOWNLOAD_TIMEOUT and DOWNLOAD_MAXSIZE; a run sets
NEWSPIPE_WORK_DIR and NEWSPIPE_REFETCH (see crawlers.launcher.scrapy_settings)."""

from crawlers import registry as _registry

_polite = _registry.Politeness()  # the registry's defaults; each outlet's own politeness overrides them per crawl
BOT_NAME = "newspipe"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"

USER_AGENT = "newspipe/0.1 (news research crawler; +https://github.com/newspipe/newspipe)"
ROBOTSTXT_OBEY = _polite.obey_robots

CONCURRENT_REQUESTS = 64
# Scrapy starts CONCURRENT_ITEMS asyncio workers for the output of every callback; an article page
# yields one item, so the default of 100 costs ~100 task creations a page (a 2x slowdown in `make bench`)
CONCURRENT_ITEMS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = _polite.concurrency
DOWNLOAD_DELAY = _polite.download_delay
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

DOWNLOAD_TIMEOUT = _polite.timeout
DOWNLOAD_MAXSIZE = _polite.max_page_bytes  # a larger page is cut, not read
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
REDIRECT_MAX_TIMES = 5
DNS_TIMEOUT = 15
# every connection's address is checked where it is resolved (crawlers.resolver)
TWISTED_DNS_RESOLVER = "crawlers.resolver.GuardedResolver"
# a news crawl speaks http(s) only: no local files, data: URLs, S3 or FTP, wherever a link points
DOWNLOAD_HANDLERS = {"file": None, "data": None, "s3": None, "ftp": None}

COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "WARNING"

DOWNLOADER_MIDDLEWARES = {
    "crawlers.middlewares.AddressGuardMiddleware": 50,
    "crawlers.middlewares.OutletProxyMiddleware": 740,
    "crawlers.middlewares.ConditionalGetMiddleware": 560,  # sees responses after decompression (590)
    "crawlers.middlewares.RetryAfterMiddleware": 550,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawlers.middlewares.MetaRefreshMiddleware": 580,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    # not used by a news crawl: offsite filtering is the spider's own (outlet domains and article patterns)
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,
}
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,
}
EXTENSIONS = {
    "scrapy.extensions.feedexport.FeedExporter": None,
    "scrapy.extensions.memdebug.MemoryDebugger": None,
    "scrapy.extensions.spiderstate.SpiderState": None,
    "scrapy.extensions.remote_control.RemoteControl": None,
    "crawlers.extensions.RobotsCrawlDelay": 500,
}
ITEM_PIPELINES = {
    "crawlers.pipelines.RawPageWriter": 500,
    "crawlers.pipelines.KnownPageIndex": 510,
}

# newspipe's own settings
NEWSPIPE_RAW_DIR = "raw"           # where RawPageWriter puts Parquet files
NEWSPIPE_RAW_BATCH = 500           # pages per Parquet file (bounded memory, crash-safe batches)
NEWSPIPE_SECTION_PAGES = 5         # pagination depth on section, tag and search-result pages
NEWSPIPE_SEARCH_TERMS = dict(_registry.CONFLICT_NAMES)  # what an outlet's site search is asked for, by the outlet's languages
NEWSPIPE_PRIVATE_HOSTS: list[str] = []  # hosts that may resolve inside: local outlets' and proxies' (set per crawl)
NEWSPIPE_WORK_DIR = ""            # work directory holding _state/crawl/OUTLET.sqlite; empty: no incremental state
NEWSPIPE_SHARED_ROOT = ""         # data root whose _work/ holds other machines' raw files (storage.shared_work)
NEWSPIPE_REFETCH = False           # fetch article URLs again even if an earlier crawl stored them
NEWSPIPE_SHARD = "0/1"             # I/N: this process fetches the articles whose URL hash is I modulo N
NEWSPIPE_OBEY_CRAWL_DELAY = True   # robots.txt Crawl-delay (only while ROBOTSTXT_OBEY)
NEWSPIPE_MAX_CRAWL_DELAY = 30.0    # seconds; a longer Crawl-delay is capped
NEWSPIPE_MAX_RETRY_AFTER = 120.0   # seconds; a longer Retry-After gives the page up for this run
