"""Extensions: crawl-wide politeness that no single middleware sees."""
from __future__ import annotations

import logging

from scrapy import signals
from scrapy.exceptions import NotConfigured

logger = logging.getLogger(__name__)


class RobotsCrawlDelay:
    """Honour ``Crawl-delay`` from robots.txt, which Scrapy's RobotsTxtMiddleware reads
    but does not apply.

    When a host's robots.txt is parsed, its download slot gets that delay
    without jitter, and after every response the delay is raised back to it, so
    AutoThrottle (which only knows DOWNLOAD_DELAY as its floor) never goes
    below it. A delay over NEWSPIPE_MAX_CRAWL_DELAY is capped there (a site
    asking for an hour between pages would otherwise never finish a window);
    the stat ``newspipe/robots/crawl_delay`` records what was applied.
    """

    def __init__(self, crawler, cap: float):
        self.crawler = crawler
        self.cap = cap
        self.delays: dict[str, float] = {}
        crawler.signals.connect(self.robots_parsed, signal=signals.robots_parsed)
        crawler.signals.connect(self.response_downloaded, signal=signals.response_downloaded)

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        if not (s.getbool("ROBOTSTXT_OBEY") and s.getbool("NEWSPIPE_OBEY_CRAWL_DELAY", True)):
            raise NotConfigured
        return cls(crawler, s.getfloat("NEWSPIPE_MAX_CRAWL_DELAY", 30.0))

    def robots_parsed(self, robotparser, request, **kwargs):
        ua = self.crawler.settings.get("ROBOTSTXT_USER_AGENT") or self.crawler.settings.get("USER_AGENT")
        asked = robotparser.crawl_delay(ua)
        if not asked:
            return
        delay = min(float(asked), self.cap)
        if delay < float(asked):
            logger.warning("%s asks for a crawl delay of %s s; capped at %s s", request.url, asked, self.cap)
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        self.delays[key] = delay
        downloader.per_slot_settings.setdefault(key, {}).update(delay=delay, jitter=0)
        self._apply(key)
        self.crawler.stats.max_value("newspipe/robots/crawl_delay", delay)

    def response_downloaded(self, response, request, **kwargs):
        key = request.meta.get("download_slot")
        if key in self.delays:
            self._apply(key)

    def _apply(self, key: str) -> None:
        slot = self.crawler.engine.downloader.slots.get(key)
        if slot is not None:
            slot.delay = max(slot.delay, self.delays[key])
            slot.jitter = 0
