"""Parse discovery documents (RSS, Atom, JSON Feed, sitemaps) into links.

Pure functions over bytes, so they are tested without a crawl. The XML
parser never resolves entities, never touches the network and refuses huge
trees, so an entity bomb or a hostile feed is an error, not an outage.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from crawlers.dates import parse_date


class DiscoveryError(ValueError):
    """A feed or sitemap that cannot be parsed."""


@dataclass(frozen=True)
class Link:
    url: str
    date: datetime | None = None
    title: str | None = None
    is_sitemap: bool = False  # a child of a sitemap index
    problem: str = ""         # why this item cannot be used (skipped and counted; the others go on)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, recover=False)


def _local(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _child_text(el, *names: str) -> str | None:
    for child in el:
        if _local(child.tag) in names and child.text and child.text.strip():
            return child.text.strip()
    return None


def _json_item(item, n: int) -> Link | None:
    """One JSON Feed item: None without a URL (the format allows it), a Link with a
    ``problem`` when malformed."""
    if not isinstance(item, dict):
        return Link("", problem=f"item #{n} is not an object")
    url = item.get("url") or item.get("external_url")
    if not url:
        return None
    if not isinstance(url, str):
        return Link("", problem=f"item #{n}: url is not a string")
    title = item.get("title")
    return Link(url.strip(), parse_date(item.get("date_published")), title if isinstance(title, str) else None)


def parse_feed(body: bytes) -> list[Link]:
    """Links of an RSS 2.0, RSS 1.0 (RDF), Atom or JSON feed."""
    text = body.lstrip()
    if text.startswith(b"{"):
        try:
            data = json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise DiscoveryError(f"malformed JSON feed: {exc}") from None
        items = data.get("items", []) if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise DiscoveryError("malformed JSON feed: no 'items' list")
        links = [_json_item(i, n) for n, i in enumerate(items, 1)]
        return [lk for lk in links if lk is not None]
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as exc:
        raise DiscoveryError(f"malformed feed XML: {exc}") from None
    links: list[Link] = []
    for el in root.iter():
        name = _local(el.tag)
        if name == "item":  # RSS 2.0 and RDF
            url = _child_text(el, "link") or _child_text(el, "guid")
            date = parse_date(_child_text(el, "pubDate", "date", "published", "updated"))
            if url:
                links.append(Link(url, date, _child_text(el, "title")))
        elif name == "entry":  # Atom
            url = None
            for child in el:
                if _local(child.tag) == "link" and child.get("rel", "alternate") == "alternate" and child.get("href"):
                    url = child.get("href")
                    break
            date = parse_date(_child_text(el, "published", "updated"))
            if url:
                links.append(Link(url, date, _child_text(el, "title")))
    return links


def parse_sitemap(body: bytes) -> list[Link]:
    """Links of a sitemap or sitemap index (news:publication_date preferred over lastmod)."""
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as exc:
        raise DiscoveryError(f"malformed sitemap XML: {exc}") from None
    is_index = _local(root.tag) == "sitemapindex"
    links = []
    for el in root:
        if _local(el.tag) not in ("url", "sitemap"):
            continue
        loc = _child_text(el, "loc")
        if not loc:
            continue
        date = None
        title = None
        for sub in el.iter():
            if _local(sub.tag) == "publication_date":
                date = parse_date(sub.text)
            elif _local(sub.tag) == "title" and sub is not el:
                title = (sub.text or "").strip() or None
        date = date or parse_date(_child_text(el, "lastmod"))
        links.append(Link(loc, date, title, is_sitemap=is_index))
    return links
