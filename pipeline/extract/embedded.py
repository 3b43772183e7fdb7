"""The article body carried in a script rather than in the page's markup: sites rendered by
JavaScript frameworks (React Query's dehydrated state, Next.js's flight data, Nuxt's payload)
ship the body as an HTML string inside JSON and draw it in the browser, so the served page has
an empty ``<main>``. Read only when trafilatura finds no text or too little in the markup."""
from __future__ import annotations

import json
import re

from lxml import etree

_STRING = re.compile(r'"((?:[^"\\]|\\.){400,})"')  # a JSON string literal long enough to hold a body
_PARAGRAPH = re.compile(r"<p[\s>]", re.I)
_MIN_PARAGRAPHS = 3
_SCRIPTS = etree.XPath('//script[not(@src)][not(contains(@type, "json+ld") or contains(@type, "ld+json"))]/text()',
                       smart_strings=False)


def _fragments(text: str, depth: int = 0) -> list[str]:
    """HTML fragments of at least ``_MIN_PARAGRAPHS`` paragraphs in the string literals of
    ``text``, one level of nesting deep (Next.js wraps its JSON in a JavaScript string)."""
    found = []
    for m in _STRING.finditer(text):
        try:
            value = json.loads(f'"{m.group(1)}"')
        except ValueError:
            continue
        nested = _fragments(value, 1) if depth == 0 and '\\"' in value else []
        if nested:  # JSON inside the string: its own strings hold the HTML
            found += nested
        elif len(_PARAGRAPH.findall(value)) >= _MIN_PARAGRAPHS:
            found.append(value)
    return found


def embedded_body(tree) -> str | None:
    """The longest HTML fragment of paragraphs found in the page's inline scripts, as a page
    trafilatura can read, or None."""
    fragments = [f for script in _SCRIPTS(tree) for f in _fragments(script)]
    if not fragments:
        return None
    return f"<html><body><article>{max(fragments, key=len)}</article></body></html>"
