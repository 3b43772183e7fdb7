"""Generate the mock outlets served by the replay server.

Each outlet has its own HTML template (navigation, a "related stories"
sidebar, share and comment widgets, footer boilerplate), its own way of
stating dates and authors, a robots.txt, a feed (RSS or Atom) and a sitemap.
``build_sites()`` returns every page as bytes keyed by outlet and path, so the
server is a plain lookup and tests can inspect exactly what is served.
"""
from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import dataclass, field
from datetime import datetime

from .stories import COPIES, OUT_OF_WINDOW, STORIES


SITEMAP_MODIFIED = "Wed, 07 Oct 2020 12:00:00 GMT"


@dataclass
class Page:
    body: bytes
    content_type: str | None = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class DemoArticle:
    """One article as published on one outlet; ``key`` names the story it tells."""

    key: str
    outlet: str
    lang: str
    idlib: bool
    date: datetime
    author: str
    title: str
    body: list[str]
    is_copy: bool
    path: str = ""
    url_id: int = 0


@dataclass(frozen=True)
class OutletStyle:
    """Everything that makes one mock outlet: a new outlet is one more record (and its stories)."""

    name: str
    title: str
    languages: tuple[str, ...]
    feed: str  # "rss" | "atom"
    footer: str
    path: str  # article path: str.format of lang, date, slug, url_id, section
    patterns: tuple[str, ...]  # the registry's article_patterns for it
    # how its pages state metadata: json-ld (with a linked byline), og (og:title, published_time),
    # spans (author and date spans), author-meta (meta author, <time>), posted-line, microdata
    markup: tuple[str, ...]
    sections: tuple[tuple[str, str], ...] = ()  # (language, section of the path); others "middle-east"
    in_body_footer: str = ""  # boilerplate the outlet puts inside every article body
    news_sitemap: bool = False  # Google News sitemap (news:publication_date)
    sitemap_index: bool = False  # a sitemap index with one child per language
    seo_headline: bool = False  # writes a search-engine headline into its JSON-LD (registry: title_source og)


OUTLETS: dict[str, OutletStyle] = {s.name: s for s in [
    OutletStyle("levant-wire", "Levant Wire", ("en", "ar"), "rss",
                "Levant Wire is an independent news agency covering the Levant since 1998. All rights reserved. Reproduction without written permission is prohibited.",
                path="/{lang}/news/{date:%Y/%m/%d}/{slug}-{url_id}/", patterns=(r"^/(en|ar)/news/\d{4}/\d{2}/\d{2}/[^/]+/$",), markup=("json-ld",), news_sitemap=True),
    OutletStyle("dimashq-news", "Dimashq News", ("en", "ar"), "rss",
                "Dimashq News Agency. Copyright 2020. Follow us on our channels for the latest news from Syria and the world.",
                path="/{lang}/?p={url_id}", patterns=(r"^/(en|ar)/\?p=\d+$",), markup=("og", "spans")),
    OutletStyle("anatolia-post", "Anatolia Post", ("en", "tr"), "atom",
                "Anatolia Post — news from Türkiye and the region. Subscribe to our daily newsletter. All rights reserved.",
                path="/{lang}/{section}/{slug}/{url_id}", patterns=(r"^/(en|tr)/(middle-east|dunya)/[^/]+/\d+$",), markup=("author-meta",), sections=(("tr", "dunya"),), news_sitemap=True),
    OutletStyle("idlib-monitor", "Idlib Monitor", ("en", "ar"), "rss",
                "Idlib Monitor is a non-profit documentation group. Contact our documentation team through the secure form.",
                in_body_footer="Idlib Monitor documents violations against civilians in northwest Syria through a network of field researchers. Our work depends on readers like you: support independent documentation and share this report.",
                path="/{lang}/{url_id}/", patterns=(r"^/(en|ar)/\d+/$",), markup=("posted-line",), sitemap_index=True),
    OutletStyle("mashriq-aggregator", "Mashriq Aggregator", ("en",), "rss",
                "Mashriq Aggregator republishes analysis and news from across the region. Fair use notice: this site contains copyrighted material.",
                in_body_footer="The views expressed in this article are the sole responsibility of the author and do not necessarily reflect those of Mashriq Aggregator. Note to readers: please click the share buttons above or below and forward this article to your email lists.",
                path="/{slug}/{url_id}", patterns=(r"^/[a-z0-9-]+/\d+$",), markup=("json-ld",)),
    OutletStyle("euro-courier", "Euro Courier", ("en", "fr"), "atom",
                "Euro Courier, Brussels. Independent journalism for Europe. Terms of use, privacy and cookies.",
                path="/{lang}/{section}/{date:%Y%m%d}-{slug}", patterns=(r"^/(en|fr)/(middle-east|moyen-orient)/\d{8}-[^/]+$",), markup=("json-ld", "og"), sections=(("fr", "moyen-orient"),), news_sitemap=True, sitemap_index=True, seo_headline=True),
    OutletStyle("neva-herald", "Neva Herald", ("ru", "en"), "rss",
                "Нева Вестник. Все права защищены. При использовании материалов ссылка обязательна.",
                path="/world/{date:%Y%m%d}/{url_id}.html", patterns=(r"^/world/\d{8}/\d+\.html$",), markup=("microdata",)),
]}

_COMMENTS = [
    ("Omar", "Thank you for covering this, nobody else is."),
    ("Lena_K", "Where are the sources for these numbers?"),
    ("abu_yusuf", "God protect the people there."),
]


def _slug(title: str) -> str:
    s = re.sub(r"[^\w\s-]", "", title.lower(), flags=re.UNICODE)
    s = re.sub(r"[\s_]+", "-", s).strip("-")
    if not re.search(r"[a-z]", s):
        s = "story"
    return s[:60].strip("-")


def _apply_ops(body: list[str], ops: list[tuple]) -> list[str]:
    paras = list(body)
    for op in ops:
        kind = op[0]
        if kind == "dateline":
            paras[0] = f"{op[1]} {paras[0]}"
        elif kind == "truncate":
            paras = paras[: op[1]]
        elif kind == "drop":
            del paras[op[1]]
        elif kind == "swap":
            i, j = op[1], op[2]
            paras[i], paras[j] = paras[j], paras[i]
        elif kind == "edit":
            for k, p in enumerate(paras):
                if op[1] in p:
                    paras[k] = p.replace(op[1], op[2], 1)
                    break
        elif kind == "attribution":
            paras.append(op[1])
        elif kind == "intro":
            paras.insert(0, op[1])
        else:  # pragma: no cover - a typo in stories.py
            raise ValueError(f"unknown op {kind!r}")
    return paras


def demo_articles(include_out_of_window: bool = True) -> list[DemoArticle]:
    """Every demo article with its outlet path; deterministic."""
    by_key = {s["key"]: s for s in STORIES + OUT_OF_WINDOW}
    arts: list[DemoArticle] = []
    for s in STORIES + (OUT_OF_WINDOW if include_out_of_window else []):
        arts.append(DemoArticle(s["key"], s["outlet"], s["lang"], s["idlib"], datetime.fromisoformat(s["date"]),
                                s["author"], s["title"], list(s["body"]), False))
    for c in COPIES:
        orig = by_key[c["key"]]
        arts.append(DemoArticle(c["key"], c["outlet"], c.get("lang", orig["lang"]), orig["idlib"],
                                datetime.fromisoformat(c["date"]), c["author"], c.get("title", orig["title"]),
                                _apply_ops(orig["body"], c["ops"]), True))
    for a in arts:
        a.url_id = int(hashlib.sha1(f"{a.outlet}/{a.key}/{a.is_copy}".encode()).hexdigest()[:6], 16) % 900000 + 100000
        a.path = _article_path(a)
    return arts


def _article_path(a: DemoArticle) -> str:
    style = OUTLETS[a.outlet]
    section = dict(style.sections).get(a.lang, "middle-east")
    return style.path.format(lang=a.lang, date=a.date, slug=_slug(a.title), url_id=a.url_id, section=section)


def _esc(s: str) -> str:
    return html.escape(s, quote=True)


def _ru_date(d: datetime) -> str:
    months = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября", "ноября", "декабря"]
    return f"{d.day} {months[d.month - 1]} {d.year}, {d:%H:%M}"


def _seo_headline(a: DemoArticle, style: OutletStyle) -> str:
    """Euro Courier writes a search-engine headline into its JSON-LD (and its registry
    entry says ``title_source: og``); the others repeat the printed one."""
    return f"Explained: {a.title}" if style.seo_headline else a.title


def _render_article(a: DemoArticle, style: OutletStyle, related: list[DemoArticle], base: str) -> str:
    """One article page in the outlet's own template."""
    rtl = a.lang == "ar"
    url = base + a.path
    paras = list(a.body)
    if style.in_body_footer:
        paras.append(style.in_body_footer)
    body_html = "\n".join(f"<p>{_esc(p)}</p>" for p in paras)
    related_html = "".join(
        f'<li><a href="{_esc(r.path)}">{_esc(r.title)}</a><span class="teaser">{_esc(r.body[0][:90])}…</span></li>' for r in related)
    nav = "".join(f'<a href="/{lang}/">{lang.upper()}</a> ' for lang in style.languages)
    share = '<div class="share"><a href="#">Facebook</a> <a href="#">Twitter</a> <a href="#">WhatsApp</a> <a href="#">Email</a></div>'
    comments = "".join(f'<div class="comment"><b>{_esc(n)}</b><p>{_esc(t)}</p></div>' for n, t in _COMMENTS)
    iso = a.date.isoformat()
    head_meta = f'<link rel="canonical" href="{_esc(url)}">'
    byline = ""
    dateline = ""
    if "json-ld" in style.markup:
        ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": _seo_headline(a, style),
              "datePublished": iso,
              "author": {"@type": "Person", "name": a.author}, "inLanguage": a.lang,
              "publisher": {"@type": "Organization", "name": style.title}, "mainEntityOfPage": url}
        head_meta += f'<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>'
        byline = f'<div class="byline">By <a rel="author" href="/author/{_slug(a.author)}">{_esc(a.author)}</a></div>'
        dateline = f'<div class="date">{a.date:%d %B %Y %H:%M} GMT</div>'
    if "og" in style.markup:
        head_meta += (f'<meta property="og:title" content="{_esc(a.title)}">'
                      f'<meta property="article:published_time" content="{iso}">')
    if "spans" in style.markup:
        byline = f'<span class="author">{_esc(a.author)}</span>'
        dateline = f'<span class="date">{a.date:%Y-%m-%d}</span>'
    if "author-meta" in style.markup:
        head_meta += f'<meta name="author" content="{_esc(a.author)}">'
        byline = f'<p class="author">{_esc(a.author)}</p>'
        dateline = f'<time datetime="{iso}">{a.date:%d.%m.%Y %H:%M}</time>'
    if "posted-line" in style.markup:
        dateline = f'<p class="posted">Published: {a.date:%d %B %Y} {a.date:%H:%M} — by {_esc(a.author)}</p>'
    if "microdata" in style.markup:
        head_meta += f'<meta name="pubdate" content="{a.date:%Y%m%d%H%M}">'
        dateline = f'<div class="meta"><span itemprop="datePublished" content="{iso}">{_ru_date(a.date)}</span> · <span itemprop="author">{_esc(a.author)}</span></div>'
    return f"""<!DOCTYPE html>
<html lang="{a.lang}"{' dir="rtl"' if rtl else ''}>
<head><meta charset="utf-8"><title>{_esc(a.title)} | {_esc(style.title)}</title>
<meta name="description" content="{_esc(a.body[0][:150])}">
{head_meta}
</head>
<body class="{style.name}">
<header><div class="logo"><a href="/">{_esc(style.title)}</a></div>
<nav class="main-nav"><a href="/">Home</a> <a href="/{a.lang}/">Latest</a> <a href="/{a.lang}/tag/idlib">Idlib</a> <a href="/about">About us</a> {nav}</nav>
<form class="search" action="/search"><input name="q" placeholder="Search"></form></header>
<main>
<article>
<h1>{_esc(a.title)}</h1>
{byline}{dateline}
{share}
<div class="article-body">
{body_html}
</div>
<div class="tags">Tags: <a href="/{a.lang}/tag/syria">Syria</a> <a href="/{a.lang}/tag/world">World</a></div>
{share}
</article>
<section class="comments"><h3>Comments ({len(_COMMENTS)})</h3>{comments}<form><textarea></textarea><button>Post comment</button></form></section>
</main>
<aside class="sidebar"><h3>Related stories</h3><ul>{related_html}</ul>
<div class="newsletter">Sign up for our newsletter and get the day's top stories in your inbox.</div></aside>
<footer><p>{_esc(style.footer)}</p><a href="/privacy">Privacy</a> <a href="/contact">Contact</a></footer>
</body></html>"""


def _rss(style: OutletStyle, base: str, arts: list[DemoArticle]) -> str:
    items = "".join(
        f"<item><title>{_esc(a.title)}</title><link>{_esc(base + a.path)}{'&' if '?' in a.path else '?'}utm_source=rss&amp;utm_medium=feed</link>"
        f"<guid>{_esc(base + a.path)}</guid><pubDate>{a.date:%a, %d %b %Y %H:%M:%S} +0000</pubDate></item>"
        for a in arts)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{_esc(style.title)}</title>'
            f"<link>{base}/</link><description>Latest news</description>{items}</channel></rss>").replace("&utm", "&amp;utm")


def _atom(style: OutletStyle, base: str, arts: list[DemoArticle]) -> str:
    entries = "".join(
        f'<entry><title>{_esc(a.title)}</title><link rel="alternate" href="{_esc(base + a.path)}"/>'
        f"<id>{_esc(base + a.path)}</id><updated>{a.date.isoformat()}</updated><published>{a.date.isoformat()}</published></entry>"
        for a in arts)
    return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>{_esc(style.title)}</title>'
            f'<id>{base}/</id><updated>2020-10-07T00:00:00+00:00</updated>{entries}</feed>')


def _sitemap(base: str, arts: list[DemoArticle], news: bool) -> str:
    ns = ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"' if news else ""
    rows = []
    for a in arts:
        extra = (f"<news:news><news:publication><news:name>x</news:name><news:language>{a.lang}</news:language></news:publication>"
                 f"<news:publication_date>{a.date.isoformat()}</news:publication_date><news:title>{_esc(a.title)}</news:title></news:news>") if news else ""
        rows.append(f"<url><loc>{_esc(base + a.path)}</loc><lastmod>{a.date.isoformat()}</lastmod>{extra}</url>")
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"{ns}>{"".join(rows)}</urlset>'


def build_site(outlet: str, base: str, articles: list[DemoArticle] | None = None) -> dict[str, Page]:
    """All pages of one outlet, keyed by path (with query)."""
    style = OUTLETS[outlet]
    arts = [a for a in (articles if articles is not None else demo_articles()) if a.outlet == outlet]
    arts.sort(key=lambda a: a.date, reverse=True)
    pages: dict[str, Page] = {}
    for i, a in enumerate(arts):
        related = [r for r in arts if r is not a][:4]
        pages[a.path] = Page(_render_article(a, style, related, base).encode("utf-8"),
                             headers={"Last-Modified": a.date.strftime("%a, %d %b %Y %H:%M:%S GMT")})
        # an AMP variant that points back at the canonical page
        pages[a.path.rstrip("/") + ("&amp=1" if "?" in a.path else "?amp=1")] = pages[a.path]
    home = "".join(f'<li><a href="{_esc(a.path)}">{_esc(a.title)}</a></li>' for a in arts)
    pages["/"] = Page(f"<html><body><h1>{_esc(style.title)}</h1><ul>{home}</ul></body></html>".encode())
    feed_path = "/feed/" if style.feed == "rss" else "/atom.xml"
    feed = _rss(style, base, arts) if style.feed == "rss" else _atom(style, base, arts)
    pages[feed_path] = Page(feed.encode("utf-8"), "application/rss+xml" if style.feed == "rss" else "application/atom+xml",
                            headers={"ETag": '"' + hashlib.md5(feed.encode()).hexdigest() + '"'})
    news = style.news_sitemap
    if style.sitemap_index:
        # a sitemap index with one child per language
        children = []
        for lang in style.languages:
            child = f"/sitemaps/{lang}.xml"
            pages[child] = Page(_sitemap(base, [a for a in arts if a.lang == lang], news).encode(), "application/xml")
            children.append(f"<sitemap><loc>{base}{child}</loc><lastmod>2020-10-07</lastmod></sitemap>")
        pages["/sitemap.xml"] = Page(('<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                                      + "".join(children) + "</sitemapindex>").encode(), "application/xml")
    else:
        pages["/sitemap.xml"] = Page(_sitemap(base, arts, news).encode(), "application/xml")
    pages["/robots.txt"] = Page(f"User-agent: *\nDisallow: /search\nDisallow: /private/\nSitemap: {base}/sitemap.xml\n".encode(),
                                "text/plain")
    pages["/private/secret-draft"] = Page(b"<html><body>draft</body></html>")
    for page in pages.values():  # sitemaps answer conditional GETs by date, as most CMSs do
        if "xml" in (page.content_type or "") and "ETag" not in page.headers:
            page.headers.setdefault("Last-Modified", SITEMAP_MODIFIED)
    return pages


def outlet_config(outlet: str, base: str) -> dict:
    """The sources-file entry of a replay outlet (see crawlers.registry)."""
    style = OUTLETS[outlet]
    host = base.split("//", 1)[1]
    return {
        "name": outlet, "title": style.title, "kind": "replay", "domains": [host], "languages": list(style.languages),
        "feeds": [base + ("/feed/" if style.feed == "rss" else "/atom.xml")],
        "sitemaps": [base + "/sitemap.xml"],
        "article_patterns": list(style.patterns), "deny_patterns": [r"[?&]amp=1"],
        "politeness": {"download_delay": 0, "concurrency": 8, "page_budget": 500},
        "title_source": "og" if style.seo_headline else "auto",
    }
