"""Parse discovery documents (RSS, Atom, JSON Feed, sitemaps) into links.

Pure functions over bytes, so they are tested without a crawl. The XML
parser never resolves entities, never touches the network and refuses huge
trees, so an entity bomb or a hostile feed is an error, not an outage.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from lxml import etree


class DiscoveryError(ValueError):
    """A feed or sitemap that cannot be parsed."""


@dataclass(frozen=True)
class Link:
    url: str
    date: datetime | None = None
    title: str | None = None
    is_sitemap: bool = False  # a child of a sitemap index


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, recover=False)


def parse_date(value: str | None) -> datetime | None:
    """ISO 8601 or RFC 822 date to an aware UTC datetime; None when unparseable."""
    if not value:
        return None
    value = value.strip()
    try:
        d = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            d = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=timezone.utc)
    return d.astimezone(timezone.utc)


def _local(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _child_text(el, *names: str) -> str | None:
    for child in el:
        if _local(child.tag) in names and child.text and child.text.strip():
            return child.text.strip()
    return None


def parse_feed(body: bytes) -> list[Link]:
    """Links of an RSS 2.0, RSS 1.0 (RDF), Atom or JSON feed."""
    text = body.lstrip()
    if text.startswith(b"{"):
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise DiscoveryError(f"malformed JSON feed: {exc}") from None
        return [Link(i.get("url") or i.get("external_url"), parse_date(i.get("date_published")), i.get("title"))
                for i in data.get("items", []) if i.get("url") or i.get("external_url")]
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
