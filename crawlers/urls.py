"""URL canonicalisation, so that one story is fetched and stored once."""
from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TRACKING_PARAMS = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|mc_cid|mc_eid|igshid|yclid|_ga|ref|ref_src|cmpid|ocid|rss|at_medium|at_campaign|amp|outputtype)$",
    re.IGNORECASE,
)
_AMP_PATH = re.compile(r"(/amp/?$|\.amp$|\.amp(?=\.html$))")
_MOBILE_HOST = re.compile(r"^(m|mobile|amp)\.")
# "http://http://host", "http:/host", "http:\\host", "http://http//host": the scheme as archives,
# aggregators and social shares mangle it
_SCHEME = re.compile(r"^(?:(https?)\s*(?::\s*)?[/\\]+)+", re.IGNORECASE)
# Google's AMP caches: HOST.cdn.ampproject.org/c/[s/]ORIGINAL (s: https), also /v/ and /i/
_AMP_CACHE = re.compile(r"^/[cvi]/(s/)?(.+)$")


def repair_url(url: str) -> str:
    """The URL meant: a mangled scheme repaired, backslashes after it made slashes, an AMP cache
    URL unwrapped to the page it caches. Anything else is returned as it is."""
    url = url.strip()
    scheme, rest = None, url
    while m := _SCHEME.match(rest):  # each scheme written in front; the last one is the page's
        scheme, rest = m[1].lower(), rest[m.end():]
    if scheme:
        url = f"{scheme}://{rest}"
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host.endswith("cdn.ampproject.org") or (host.endswith("google.com") and parts.path.startswith("/amp/")):
        path = parts.path[len("/amp"):] if parts.path.startswith("/amp/") else parts.path
        cached = _AMP_CACHE.match(path) or re.match(r"^/(s/)?(.+)$", path)
        if cached:
            query = f"?{parts.query}" if parts.query else ""
            url = f"{'https' if cached[1] else 'http'}://{cached[2]}{query}"
    return url


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be an article's address even after ``repair_url``, or None."""
    try:
        parts = urlsplit(repair_url(url))
        parts.port  # noqa: B018 - raises on a port that is not a number or out of range
    except ValueError as exc:
        return f"does not parse: {exc}"
    if parts.scheme.lower() not in ("http", "https"):
        return f"scheme {parts.scheme or '(none)'!r} is not http(s)"
    if not parts.hostname or "." not in parts.hostname.strip("."):
        return "no host name (a dotted one)"
    return None


def canonicalize(url: str, amp_prefix: str = "", drop_params: tuple[str, ...] = ()) -> str:
    """Repair the URL (``repair_url``), lower-case scheme and host, drop default ports, fragments,
    tracking and AMP parameters, AMP path suffixes and mobile host prefixes; sort the query.
    Per outlet: ``amp_prefix``, the path prefix of its AMP pages (``/amp``: ``/amp/news/x`` is
    ``/news/x``), and ``drop_params``, query parameters of its own that name no page (``il``)."""
    parts = urlsplit(repair_url(url))
    scheme = parts.scheme.lower() or "http"
    host = (parts.hostname or "").lower()
    host = _MOBILE_HOST.sub("", host) if host.count(".") >= 2 else host
    port = parts.port
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    path = _AMP_PATH.sub("", parts.path) or "/"
    if amp_prefix and path.startswith(amp_prefix.rstrip("/") + "/"):
        path = path[len(amp_prefix.rstrip("/")):]
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                   if not TRACKING_PARAMS.match(k) and k not in drop_params)
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


def article_id(canonical_url: str) -> str:
    """Stable id of an article: the first 16 hex digits of SHA-256 of its canonical URL."""
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:16]
