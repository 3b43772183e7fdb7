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


def canonicalize(url: str) -> str:
    """Lower-case scheme and host, drop default ports, fragments, tracking and AMP
    parameters, AMP path suffixes and mobile host prefixes; sort the query."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower() or "http"
    host = (parts.hostname or "").lower()
    host = _MOBILE_HOST.sub("", host) if host.count(".") >= 2 else host
    port = parts.port
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    path = _AMP_PATH.sub("", parts.path) or "/"
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING_PARAMS.match(k))
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


def article_id(canonical_url: str) -> str:
    """Stable id of an article: the first 16 hex digits of SHA-256 of its canonical URL."""
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:16]
