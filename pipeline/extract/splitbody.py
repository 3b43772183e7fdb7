"""An article body split over several sibling containers of one class (a layout that cuts the
text around advertisements and pull quotes into "chunks"): trafilatura keeps the first container
and loses the rest. Joined into the first before it reads the page."""
from __future__ import annotations

_MIN_PARAGRAPH = 80  # characters: a paragraph of text, not a caption or a button
_MIN_PARAGRAPHS = 2  # in each container


def _paragraphs(el) -> int:
    return sum(1 for p in el.iterchildren("p") if len(" ".join(p.itertext()).strip()) >= _MIN_PARAGRAPH)


def join_split_body(tree) -> int:
    """Move the children of every later container of the body's class into the first one, when
    two or more containers of that tag and class each hold paragraphs of text and share an
    ``<article>`` (or the page has one such group). Returns how many containers were joined."""
    groups: dict[tuple, list] = {}
    for el in tree.iter("div", "section"):
        cls = (el.get("class") or "").strip()
        if cls and _paragraphs(el) >= _MIN_PARAGRAPHS:
            groups.setdefault((el.tag, cls), []).append(el)
    joined = 0
    for parts in groups.values():
        if len(parts) < 2 or any(a in b.iterancestors() for a in parts for b in parts):
            continue
        articles = {next(p.iterancestors("article"), None) for p in parts}
        if len(articles) != 1 or (None in articles and len(groups) > 1):
            continue
        first = parts[0]
        for part in parts[1:]:
            for child in list(part):
                first.append(child)
            part.getparent().remove(part)
            joined += 1
    return joined
