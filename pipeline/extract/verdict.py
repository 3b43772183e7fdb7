"""Is a page an article? What the raw page says about its kind (read before trafilatura trims
the tree) and the verdict on the text: ``article``, ``index``, ``paywalled``, ``too_short``."""
from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from pipeline.extract.metadata import ARTICLE_TYPES
from pipeline.settings import ExtractSettings

_CONTROL = bytes(b for b in range(32) if b < 9 or b > 13)


def looks_binary(data: bytes) -> bool:
    head = data[:4096]
    if b"\x00" in head:
        return True
    if not head:
        return False
    ctrl = len(head) - len(head.translate(None, _CONTROL))
    return ctrl / len(head) > 0.1


_LIST_TYPES = {"collectionpage", "itemlist", "searchresultspage", "profilepage"}
_ALL_TEXT = etree.XPath(".//text()", smart_strings=False)
_PAYWALL_MARKERS = re.compile(r"paywall|subscriber[-_ ]only|premium[-_ ]content|metered[-_ ]content|piano-?offer", re.I)


_MIN_LETTERS = 1200  # shorter pages (about 200 words) have no link share worth judging


def _letters(text: str) -> int:
    return len(text) - text.count(" ") - text.count("\n") - text.count("\t")


@dataclass(frozen=True)
class PageSignals:
    """What the raw page says about its kind, read before trafilatura trims the tree."""

    list_type: str | None
    paywall: bool
    link_share: float


def page_signals(tree, ld: list[dict]) -> PageSignals:
    types = {str(t).lower() for node in tree.xpath('//script[@type="application/ld+json"]/text()')
             for t in re.findall(r'"@type"\s*:\s*"([^"]+)"', node)}
    listed = sorted(types & _LIST_TYPES) if not types & (ARTICLE_TYPES - {"webpage"}) else []
    # element walks, not XPath unions or `//a//text()`: libxml2 merges node sets with a
    # duplicate check per node, which made these two lines quadratic on link-heavy pages
    marks = "\n".join(v for el in tree.iter(etree.Element) for v in (el.get("class"), el.get("id")) if v)
    paywall = any(str(a.get("isAccessibleForFree")).lower() == "false" for a in ld if "isAccessibleForFree" in a) or \
        _PAYWALL_MARKERS.search(marks) is not None
    body = tree.find("body")
    share = 0.0
    if body is not None:  # in letters, not words: Japanese and Chinese write no spaces between words
        total = sum(_letters(t) for t in _ALL_TEXT(body))
        linked = sum(_letters(t) for a in body.iter("a") for t in a.itertext())
        share = linked / total if total > _MIN_LETTERS else 0.0
    return PageSignals(listed[0] if listed else None, paywall, share)


def page_verdict(signals: PageSignals, text: str, settings: ExtractSettings) -> tuple[str, str]:
    """``article``, or why the page is not one: ``index`` (a list of links), ``paywalled``
    (a paywall with less than ``min_chars`` visible), ``too_short``. An article behind a paywall
    whose lead shows is an article (``Document.paywalled``): the outlet covered the story then."""
    if signals.list_type:
        return "index", f"structured data says {signals.list_type}"
    if signals.paywall and len(text) < settings.min_chars:
        return "paywalled", f"behind a paywall, only {len(text)} characters visible"
    lines = [ln for ln in text.split("\n") if ln.strip()]
    if signals.link_share > settings.max_link_share and sum(map(len, lines)) / max(len(lines), 1) < 90:
        return "index", f"{signals.link_share:.0%} of the page's letters are links"
    if len(text) < settings.min_chars:
        return "too_short", f"{len(text)} characters < min_chars {settings.min_chars}"
    return "article", ""
