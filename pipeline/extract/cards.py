"""Cards that pop up over a word of the text (a person's photo, name and latest
headlines when the reader hovers over the name): the card's markup sits inside
the paragraph, so trafilatura reads it as part of the sentence ("Rep. Jane
RoeJane RoeHeadline one Headline two ... (D-Minn.) said"). Removed before
trafilatura reads the page; the word the card hangs on stays.

A card is an inline element inside a paragraph that holds an image and two or
more links, and whose text is nearly all the links' (a name and headlines): a
span holding a sentence with an emoji image and two links is the sentence.
"""
from __future__ import annotations

from lxml import etree

_CARDS = etree.XPath("//p//span[.//img][count(.//a) >= 2]")


def _drop(el) -> None:
    """Remove ``el`` and keep its tail text (the rest of the sentence)."""
    parent, tail = el.getparent(), el.tail or ""
    prev = el.getprevious()
    if prev is not None:
        prev.tail = (prev.tail or "") + tail
    else:
        parent.text = (parent.text or "") + tail
    parent.remove(el)


def _mostly_links(el, share: float = 0.8) -> bool:
    text = len("".join(el.itertext()).strip())
    return text > 0 and sum(len("".join(a.itertext()).strip()) for a in el.iter("a")) >= share * text


def drop_hover_cards(tree) -> int:
    """Remove the hover cards inside the page's paragraphs; returns how many."""
    found = _CARDS(tree)
    inner = set(found)
    # the innermost: the card itself, not the span that also holds the word it hangs on
    cards = [el for el in found if not any(d in inner for d in el.iterdescendants("span")) and _mostly_links(el)]
    for el in cards:
        _drop(el)
    return len(cards)
