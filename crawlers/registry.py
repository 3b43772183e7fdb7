"""The outlet registry: which sites we crawl and how to discover their articles.

A sources file is YAML with a top-level ``outlets:`` list. Every field is
validated on load and a bad one is reported as ``FILE: outlet 'NAME': field
'X': why``, so an operator can fix the file without reading a traceback.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from crawlers.urls import canonicalize


DEFAULT_SOURCES = Path(__file__).with_name("sources.yaml")
# where a page's title is read from: an outlet's choice (see pipeline.settings.ExtractSettings.title_source)
TITLE_SOURCES = ("auto", "json-ld", "og", "h1", "title-tag")
MAX_SOURCES_BYTES = 4 * 1024 * 1024  # a registry of a few hundred outlets is ~100 KB
# the conflict's name as each language writes it: what an outlet's own site search is asked for
# (crawlers.settings.NEWSPIPE_SEARCH_TERMS), and the first spellings of the relevance filter's "Idlib"
CONFLICT_NAMES = {"en": "Idlib", "fr": "Idlib", "de": "Idlib", "ar": "إدلب", "tr": "İdlib", "ru": "Идлиб", "fa": "ادلب"}

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,63}$")
_KNOWN_FIELDS = {
    "name", "title", "domains", "languages", "kind", "country", "feeds", "sitemaps",
    "sections", "search", "article_patterns", "deny_patterns", "politeness", "local",
    "proxy", "notes", "title_source", "amp_prefix", "drop_params", "author_xpath",
}


class SourcesError(ValueError):
    """A sources file or outlet selection that cannot be used; the message names it."""


@dataclass(frozen=True)
class Politeness:
    download_delay: float = 1.0
    concurrency: int = 2
    page_budget: int = 2000
    obey_robots: bool = True
    timeout: float = 30.0                  # seconds for one response, slow-drip bodies included
    max_page_bytes: int = 10 * 1024 * 1024  # larger responses (and decompressed gzip bombs) are cut


@dataclass(frozen=True)
class Outlet:
    """One outlet and its discovery entry points.

    ``article_patterns`` are regular expressions matched against the URL path
    (with query); only links that match one are fetched as articles.
    ``local`` allows the outlet's own private or loopback host (a site on
    the intranet). ``proxy`` sends its requests through an HTTP proxy (our
    replay server plays one for the mock outlets). ``title_source`` is the
    headline the outlet itself treats as the title (``auto``, ``json-ld``,
    ``og``, ``h1``, ``title-tag``: see ``ExtractSettings.title_source``).
    ``author_xpath``: where the outlet prints its byline, for pages whose markup credits no person.
    ``amp_prefix`` and ``drop_params``: the outlet's AMP path prefix and its query parameters
    that name no page, so that its URLs as shared and archived canonicalise to one
    (``crawlers.urls.canonicalize``).
    """

    name: str
    domains: tuple[str, ...]
    languages: tuple[str, ...]
    title: str = ""
    kind: str = "outlet"
    country: str = ""
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    search: str = ""
    article_patterns: tuple[str, ...] = ()
    deny_patterns: tuple[str, ...] = ()
    politeness: Politeness = field(default_factory=Politeness)
    local: bool = False
    proxy: str = ""
    title_source: str = "auto"
    author_xpath: str = ""
    amp_prefix: str = ""
    drop_params: tuple[str, ...] = ()

    def canonical(self, url: str) -> str:
        """``url`` canonicalised with the outlet's own rules."""
        return canonicalize(url, self.amp_prefix, self.drop_params)

    def _on_domains(self, parts) -> bool:
        """Is a split URL on one of the outlet's domains (subdomains included)? A domain with a
        port ("127.0.0.1:8001") must match host and port exactly."""
        host, netloc = (parts.hostname or "").lower().rstrip("."), parts.netloc.lower()
        return any(netloc == d if ":" in d else (host == d or host.endswith("." + d)) for d in self.domains)

    @cached_property
    def _entry_hosts(self) -> frozenset[str]:
        return frozenset(urlsplit(u).netloc.lower() for u in (*self.feeds, *self.sitemaps, *self.sections,
                                                               self.search) if u)

    def owns(self, url: str) -> bool:
        """Is ``url`` on the outlet's hosts: one of its domains, or the host of one of its
        configured entry points (a feed on a CDN)?"""
        parts = urlsplit(url)
        return self._on_domains(parts) or parts.netloc.lower() in self._entry_hosts

    def is_article_url(self, url: str) -> bool:
        parts = urlsplit(url)
        if not self._on_domains(parts):
            return False
        target = parts.path + (("?" + parts.query) if parts.query else "")
        if any(re.search(p, target) for p in self.deny_patterns):
            return False
        if not self.article_patterns:
            return True
        return any(re.search(p, target) for p in self.article_patterns)


def _err(src: str, name: str, fld: str, why: str) -> SourcesError:
    return SourcesError(f"{src}: outlet '{name}': field '{fld}': {why}")


def _str_list(src: str, name: str, raw: dict, fld: str, *, url: bool = False, required: bool = False) -> tuple[str, ...]:
    value = raw.get(fld, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _err(src, name, fld, "must be a list of non-empty strings")
    if required and not value:
        raise _err(src, name, fld, "must not be empty")
    if url:
        for v in value:
            parts = urlsplit(v)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise _err(src, name, fld, f"{v!r} is not an http(s) URL")
    return tuple(v.strip() for v in value)


_MAX_TEXT = 300
# politeness field -> (type, lowest allowed value, whether the lowest is allowed itself)
_POLITENESS_RULES = {"download_delay": (float, 0, True), "concurrency": (int, 1, True), "page_budget": (int, 1, True),
                     "obey_robots": (bool, None, True), "timeout": (float, 0, False),
                     "max_page_bytes": (int, 1024, True)}
_POLITENESS_FIELDS = set(_POLITENESS_RULES)


def _politeness(src: str, name: str, raw: Any) -> Politeness:
    """Politeness fields, each of its own type and finite: ``obey_robots: 'false'`` is an error,
    not true, and ``timeout: .nan`` or ``concurrency: .inf`` never reach a crawl."""
    if not isinstance(raw, dict):
        raise _err(src, name, "politeness", "must be a mapping")
    bad = set(raw) - _POLITENESS_FIELDS
    if bad:
        raise _err(src, name, "politeness." + sorted(bad)[0], f"unknown (known: {', '.join(sorted(_POLITENESS_FIELDS))})")
    values = {}
    for fld, value in raw.items():
        kind, low, inclusive = _POLITENESS_RULES[fld]
        if kind is bool:
            if not isinstance(value, bool):
                raise _err(src, name, f"politeness.{fld}", f"must be true or false, got {value!r}")
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or (kind is int and value != int(value)):
            raise _err(src, name, f"politeness.{fld}", f"must be a finite {'whole ' if kind is int else ''}number, "
                                                       f"got {str(value)[:40]!r}")
        elif value < low or (value == low and not inclusive):
            raise _err(src, name, f"politeness.{fld}", f"must be {'>=' if inclusive else '>'} {low}, got {value}")
        values[fld] = kind(value)
    return Politeness(**values)


def _patterns(src: str, name: str, raw: dict, fld: str) -> tuple[str, ...]:
    patterns = _str_list(src, name, raw, fld)
    for p in patterns:
        try:
            re.compile(p)
        except re.error as exc:
            raise _err(src, name, fld, f"{p!r} is not a valid regular expression: {exc}") from None
    return patterns


def xpath_problem(expression: Any) -> str | None:
    """Why ``expression`` is no XPath an outlet's setting can use, or None (also None when empty)."""
    if not expression:
        return None
    from lxml import etree  # here, not at the top: the DAG files read the registry while they are parsed
    try:
        etree.XPath(expression)
    except (etree.XPathError, TypeError) as exc:
        return f"{expression!r} is not a valid XPath: {exc}"
    return None


def _check_scalars(src: str, name: str, raw: dict) -> None:
    """The single-valued fields, each of its type: nothing a field does not need is expanded."""
    proxy = raw.get("proxy", "") or ""
    if proxy and (not isinstance(proxy, str) or urlsplit(proxy).scheme not in ("http", "https")
                  or not urlsplit(proxy).netloc):
        raise _err(src, name, "proxy", f"{proxy!r} is not an http(s) proxy URL")
    if not isinstance(raw.get("local", False), bool):
        raise _err(src, name, "local", "must be true or false")
    for fld in ("title", "kind", "country"):
        if not isinstance(raw.get(fld, ""), str) or len(raw.get(fld, "")) > _MAX_TEXT:
            raise _err(src, name, fld, f"must be a string of at most {_MAX_TEXT} characters")
    amp = raw.get("amp_prefix", "") or ""
    if not isinstance(amp, str) or (amp and not re.fullmatch(r"(/[\w.-]+)+", amp)):
        raise _err(src, name, "amp_prefix", f"{amp!r} is not a path prefix such as /amp")
    problem = xpath_problem(raw.get("author_xpath", "") or "")
    if problem:
        raise _err(src, name, "author_xpath", problem)
    if raw.get("title_source", "auto") not in TITLE_SOURCES:
        raise _err(src, name, "title_source", f"{raw.get('title_source')!r} is not one of {', '.join(TITLE_SOURCES)}")


def outlet_from_dict(raw: Any, src: str = "<sources>", index: int = 0) -> Outlet:
    """Build and validate one outlet from its mapping in a sources file."""
    if not isinstance(raw, dict):
        raise SourcesError(f"{src}: outlet #{index + 1}: must be a mapping, got {type(raw).__name__}")
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise SourcesError(f"{src}: outlet #{index + 1}: field 'name': must match {_NAME_RE.pattern}, got {name!r}")
    unknown = set(raw) - _KNOWN_FIELDS
    if unknown:
        raise _err(src, name, sorted(unknown)[0], f"unknown field (known: {', '.join(sorted(_KNOWN_FIELDS))})")
    domains = _str_list(src, name, raw, "domains", required=True)
    languages = _str_list(src, name, raw, "languages", required=True)
    for lang in languages:
        if not re.fullmatch(r"[a-z]{2,3}", lang):
            raise _err(src, name, "languages", f"{lang!r} is not an ISO 639 code")
    feeds = _str_list(src, name, raw, "feeds", url=True)
    sitemaps = _str_list(src, name, raw, "sitemaps", url=True)
    sections = _str_list(src, name, raw, "sections", url=True)
    search = raw.get("search", "") or ""
    if search and (not isinstance(search, str) or "{query}" not in search
                   or not search.startswith(("http://", "https://"))):
        raise _err(src, name, "search", "must be an http(s) URL containing {query}")
    if not (feeds or sitemaps or sections or search):
        raise _err(src, name, "feeds", "an outlet needs at least one of feeds, sitemaps, sections or search")
    _check_scalars(src, name, raw)
    pol = _politeness(src, name, raw.get("politeness", {}) or {})
    return Outlet(
        name=name,
        title=str(raw.get("title", "") or name),
        kind=str(raw.get("kind", "outlet")),
        country=str(raw.get("country", "")),
        domains=tuple(d.lower() for d in domains),
        languages=languages,
        feeds=feeds,
        sitemaps=sitemaps,
        sections=sections,
        search=search,
        article_patterns=_patterns(src, name, raw, "article_patterns"),
        deny_patterns=_patterns(src, name, raw, "deny_patterns"),
        politeness=pol,
        local=raw.get("local", False),
        proxy=raw.get("proxy", "") or "",
        title_source=raw.get("title_source", "auto"),
        author_xpath=raw.get("author_xpath", "") or "",
        amp_prefix=raw.get("amp_prefix", "") or "",
        drop_params=_str_list(src, name, raw, "drop_params"),
    )


def _entries(data: Any, src: str) -> list:
    """The ``outlets:`` list of a parsed sources document."""
    if not isinstance(data, dict) or not isinstance(data.get("outlets"), list):
        raise SourcesError(f"{src}: expected a mapping with an 'outlets:' list")
    return data["outlets"]


def parse_sources(data: Any, src: str = "<sources>") -> list[Outlet]:
    """Validate a parsed sources document (``{"outlets": [...]}``)."""
    outlets = [outlet_from_dict(raw, src, i) for i, raw in enumerate(_entries(data, src))]
    seen: set[str] = set()
    for o in outlets:
        if o.name in seen:
            raise SourcesError(f"{src}: outlet '{o.name}': duplicate name")
        seen.add(o.name)
    if not outlets:
        raise SourcesError(f"{src}: the 'outlets:' list is empty")
    return outlets


def load_sources(path: str | Path | None = None) -> list[Outlet]:
    """Load and validate a sources file (the bundled registry by default)."""
    data, src = _read_sources(path)
    return parse_sources(data, src)


def outlet_names(path: str | Path | None = None) -> list[str]:
    """The outlet names of a sources file, the rest unchecked: for the DAG files' trigger forms,
    read in the scheduler's parsing loop, where no XPath compiler is loaded (the plan task
    validates the whole file and says what is wrong)."""
    return [o["name"] for o in _entries(*_read_sources(path)) if isinstance(o, dict)
            and isinstance(o.get("name"), str) and _NAME_RE.fullmatch(o["name"])]


# libyaml's loader where PyYAML was built with it: the same data, 5x faster than the pure-Python one
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_sources(path: str | Path | None) -> tuple[Any, str]:
    """The parsed YAML of a sources file and its name for messages."""
    path = Path(path) if path else DEFAULT_SOURCES
    try:
        if path.stat().st_size > MAX_SOURCES_BYTES:
            raise SourcesError(f"{path}: sources file over {MAX_SOURCES_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SourcesError(f"{path}: sources file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SourcesError(f"{path}: cannot read sources file: {exc}") from None
    try:
        data = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:  # libyaml stops deep nesting itself ("exceeded maximum nesting depth")
        why = "nested too deeply" if "nesting depth" in str(exc) else str(exc).splitlines()[0]
        raise SourcesError(f"{path}: malformed YAML: {why}") from None
    except RecursionError:
        raise SourcesError(f"{path}: malformed YAML: nested too deeply") from None
    return data, str(path)


def select_outlets(outlets: list[Outlet], names: list[str] | None) -> list[Outlet]:
    """Pick outlets by name; an unknown name is an error naming it."""
    if not names:
        return outlets
    names = list(dict.fromkeys(names))  # "a,a" crawls a once
    by_name = {o.name: o for o in outlets}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise SourcesError(f"unknown outlet(s): {', '.join(unknown)} (known: {', '.join(sorted(by_name))})")
    return [by_name[n] for n in names]
