"""What trafilatura's main text still carries that is not the article, removed
with facts read off the page before extraction (measured in ``newspipe eval
extraction``):

- the headline repeated as the text's first line (the title is stored apart);
- runs of lines that are links to other pages ("related", "most read",
  "more from" lists): each line begins with the text of one of the page's
  links, and that link text is most of the line (or the line is a list item);
- a single pointer to another story inside the text: a "read also" label and
  a link ("Also on rt.com ...", "اقرأ أيضا: ...", "Читайте также: ..."), or a
  link set in capitals alone on its line;
- the furniture that closes the text: calls to subscribe, follow, share or
  comment, tag lines, update stamps (``pipeline.extract.closing``).

All are pure functions of the text and the page facts.
"""
from __future__ import annotations

import re
import unicodedata

from lxml import etree

from pipeline.extract.closing import drop_closing_lines

_LONG_LINKS = etree.XPath("//a[string-length(normalize-space()) >= $min_chars]")
_KEY = 12  # link texts are looked up by their first characters


def fold(value: str) -> str:
    """Case, compatibility forms and punctuation folded: how two headlines are compared."""
    return re.sub(r"\W+", " ", unicodedata.normalize("NFKC", value).casefold()).strip()


def page_links(tree, min_chars: int = 15) -> dict[str, list[str]]:
    """The page's link texts of ``min_chars`` or more, by their first characters.
    Read before trafilatura runs: it prunes the tree it is given."""
    index: dict[str, list[str]] = {}
    for a in _LONG_LINKS(tree, min_chars=min_chars):
        text = " ".join(" ".join(a.itertext()).split())
        index.setdefault(text[:_KEY], []).append(text)
    return index


# the labels outlets put before a link to another of their stories, in our outlets' languages
_READ_ALSO = re.compile(
    r"^(?:also on \S+|(?:see|read) (?:more|also)|related(?: stories| articles)?|more on this|(?:à )?lire aussi|voir aussi|"
    r"lesen sie auch|mehr zum thema|ayrıca (?:okuyun|bakınız)|ilgili haber(?:ler)?|читайте также|по теме|"
    r"смотрите также|اقرأ أيضا|اقرأ أيضاً|إقرأ أيضا|إقرأ أيضاً|اقرأ المزيد|مواضيع ذات صلة)\s*[:：-]?\s*", re.I)


def _is_pointer(line: str, links: dict[str, list[str]]) -> bool:
    """A "read also" label and a link, or a link set in capitals alone on its line: a pointer to
    another story (a bare link in lower case is too often the article's own sentence)."""
    label = _READ_ALSO.match(line)
    if not label and not line.isupper():  # a bare link is a pointer when set in capitals, as headlines are
        return False
    body = line[label.end():] if label else line
    return any(body.startswith(t) and len(t) >= len(body) - 2 for t in links.get(body[:_KEY], ()))


def _is_link_line(line: str, links: dict[str, list[str]]) -> bool:
    """A line that is mostly a link's text, or a list item opening with one (a related story's
    headline and its teaser: "- Headline Teaser sentence")."""
    item = line.startswith("- ")
    body = line[2:] if item else line
    return any(body.startswith(t) and (item or 2 * len(t) >= len(body)) for t in links.get(body[:_KEY], ()))


def drop_link_runs(lines: list[str], links: dict[str, list[str]], min_run: int = 3) -> list[str]:
    """Without runs of ``min_run`` or more link lines, and without the link lines that end the text."""
    flags = [_is_link_line(line, links) for line in lines]
    keep = [True] * len(lines)
    i = 0
    while i < len(lines):
        if not flags[i]:
            i += 1
            continue
        j = i
        while j < len(lines) and flags[j]:
            j += 1
        if j - i >= min_run or j == len(lines):
            keep[i:j] = [False] * (j - i)
        i = j
    return [line for line, k in zip(lines, keep) if k]


def drop_leading_titles(lines: list[str], titles: list[str], max_lines: int = 2) -> list[str]:
    """Without the first lines that repeat the page's headline (og:title, JSON-LD headline)."""
    keys = {fold(t) for t in titles if t} - {""}
    k = 0
    while k < min(max_lines, len(lines)) and fold(lines[k]) in keys:
        k += 1
    return lines[k:]


def clean_text(text: str, titles: list[str], links: dict[str, list[str]], min_link_run: int = 3) -> str:
    lines = drop_leading_titles(text.split("\n"), titles)
    lines = [line for line in drop_link_runs(lines, links, min_link_run) if not _is_pointer(line, links)]
    return "\n".join(drop_closing_lines(lines))
