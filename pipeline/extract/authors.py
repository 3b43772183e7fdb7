"""Authors: the outlet's own byline place where the registry names one (``author_xpath``), else
JSON-LD, then meta tags, microdata and rel=author links, then the byline as printed (trafilatura's
search, a labelled credit such as "Autor: ...", a bold name opening the text); each name once,
cleaned. A source that credits only the outlet gives way to the next that names a person."""
from __future__ import annotations

import functools
import re

from lxml import etree

from pipeline.extract.cleanup import fold
from pipeline.extract.metadata import ld_names, meta_value

_BY = re.compile(r"^(?:by|von|par|de|por)\s+", re.I)
_AND = re.compile(r"\s+(?:und|and)\s+")  # "et" measured: the corpus keeps "Le Figaro et AFP" whole
_INITIALS = re.compile(r"\s*\([^()\s]{1,5}\)$")  # "Elena Muster (emu)": the byline's short code
# a label read into the byline before its "by": "Magazin Von Lina Demo" (not "Anna Von Der Probe")
_LABEL_BY = re.compile(r"^\w+\s+(?i:von|by|par|por)\s+(?!(?i:der|den|dem|de|la|le|van)\s)(?=\w+\s+\w)")
# a job title printed after the name in Korean, Japanese and Chinese bylines ("김데모 기자": reporter)
_ROLE = re.compile(r"\s*(?:기자|특파원|記者|记者|特派員|特派员)$")


def clean_authors(names: list[str]) -> list[str]:
    """Names once each, "By " dropped, "A und B" split, a trailing short code or job title cut. An
    outlet credited as its own author stays: outlets credit desk and agency copy that way."""
    out: list[str] = []
    seen: set[str] = set()
    for raw in names:
        for name in _AND.split(_BY.sub("", raw.strip())):
            name = _ROLE.sub("", _INITIALS.sub("", _LABEL_BY.sub("", name))).strip()
            if name and fold(name) not in seen:
                seen.add(fold(name))
                out.append(name)
    return out


_AUTHOR_META = ("author", "article:author", "parsely-author", "dc.creator", "byl", "sailthru.author")


def _meta_names(raw: str) -> list[str]:
    """The names of an author meta tag; none when it is a link or an address ("site.de, City, Country")."""
    names = ld_names(re.sub(r"^(by|von|par|de)\s+", "", raw, flags=re.I))
    return [] if raw.startswith("http") or (len(names) > 1 and any(_NOT_A_NAME.search(n) for n in names)) else names


def markup_authors(tree, metas: list[tuple[str, str]]) -> list[str]:
    """Authors from meta tags, microdata and rel=author links (JSON-LD is read first, elsewhere)."""
    names = _meta_names(meta_value(metas, _AUTHOR_META) or "")
    if names:
        return names
    found = []
    for el in tree.xpath('//*[@itemprop="author"] | //a[@rel="author"]'):
        name = (el.get("content") or " ".join(" ".join(el.itertext()).split())).strip()
        if name and len(name) < 80 and name not in found:
            found.append(name)
    return found


def byline_authors(tree) -> list[str]:
    """trafilatura's byline search, only for pages whose markup names no author (it copies the tree)."""
    from trafilatura.metadata import extract_author
    try:
        found = extract_author(tree)
    except Exception:  # a heuristic on odd markup; authors are optional
        return []
    return [a.strip() for a in (found or "").split(";") if a.strip()]


# a printed credit's label, in our outlets' languages: "Autorin/Autor Name", "Yazar: Name", "بقلم Name"
_LABEL = re.compile(r"^(?:authors?|autor(?:in|en)?(?:/autor(?:in)?)?|auteurs?|autore|autori|yazar|muhabir|"
                    r"автор(?:ы)?|текст|بقلم|كتب|الكاتب|by|von|par|por)\s*[:：]?\s+(?=\w)", re.I)
_SEPARATORS = re.compile(r"\s*(?:,|/|&|;|\s(?:and|und|et|ve|и|و)\s)\s*")
_NAME = re.compile(r"^[^\W\d_][^\W\d_'’.-]*(?:[\s'’.-]+[^\W\d_][^\W\d_'’.-]*){1,4}$")  # 2 to 5 words, no digits
_PARTICLES = {"von", "van", "der", "den", "de", "da", "del", "di", "du", "la", "le", "al", "el", "bin", "ibn", "ben"}


def _is_name(part: str) -> bool:
    """2 to 5 words without digits; in Latin script each capitalised but for particles ("von der")."""
    return bool(_NAME.fullmatch(part)) and not any(
        w[0].islower() and w[0].isascii() and w.lower() not in _PARTICLES for w in part.split())


def _names(text: str) -> list[str]:
    """The names of a printed credit, or none when any part reads as something else."""
    parts = [p.strip() for p in _SEPARATORS.split(text) if p.strip()]
    return parts if parts and all(_is_name(p) for p in parts) else []


def labelled_authors(tree) -> list[str]:
    """A short element that reads "LABEL Name(s)": the credit line of pages whose byline has no
    class trafilatura knows (a fact box's "Autorin/Autor", a Turkish "Yazar:")."""
    for el in tree.xpath("//li | //p | //dd | //div[not(*[self::div or self::p])] | //span"):
        text = " ".join(" ".join(el.itertext()).split())
        if 4 < len(text) < 100 and (label := _LABEL.match(text)):
            names = _names(text[label.end():])
            if names:
                return names
    return []


_BOLD_LINES = etree.XPath("(//h1)[1]/following::p[normalize-space()][position() <= 3]"
                         " | //p[contains(translate(@style, ' ', ''), 'text-align:right')]")


def bold_authors(tree) -> list[str]:
    """A paragraph of nothing but a bold name, among the first after the headline or aligned right:
    the byline of outlets that print it as the text's first line ("<p><strong>Name/Name</strong></p>")
    or sign the text at its end."""
    for p in _BOLD_LINES(tree):
        bold = " ".join(t for b in p.xpath("./strong | ./b") for t in b.itertext()).strip()
        if bold and " ".join(bold.split()) == " ".join(p.text_content().split()) and (names := _names(bold)):
            return names
    return []


@functools.lru_cache(maxsize=64)
def _xpath(expression: str) -> etree.XPath:
    return etree.XPath(expression)


def xpath_authors(tree, xpath: str) -> list[str]:
    """The outlet's own byline place (the registry's ``author_xpath``): the names it holds, the
    separators around them ("Name |") dropped."""
    hits = _xpath(xpath)(tree)
    found: list[str] = []
    for el in hits if isinstance(hits, list) else []:  # an expression that counts or tests gives no names
        text = el if isinstance(el, str) else " ".join(el.itertext()) if hasattr(el, "itertext") else ""
        found += _names(" ".join(text.replace("|", " ").split()))
    return found


def every_meta_author(metas: list[tuple[str, str]]) -> list[str]:
    """The names of every author meta tag: pages that credit the outlet in the first and the
    reporter in a second ("<meta name=author content=Outlet>", then the person's)."""
    return [n for k, v in metas if k in _AUTHOR_META for n in _meta_names(v)]


# a credit that is no person's name: a domain ("demowire.test", "Demo Wire (www.demowire.test)"), an e-mail address
_NOT_A_NAME = re.compile(r"(?:^|[\s(])(?:www\.)?[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\)?$|@", re.I)
_MAX_MARKUP_NAMES = 4  # more rel=author or itemprop credits than this are a teaser list's, not the article's
_MAX_NAME_WORDS = 6  # longer credits are a description ("professor at the faculty of ..."), not a name


def _outlet_names(ld: list[dict], metas: list[tuple[str, str]], sites: list[str]) -> set[str]:
    """The site's own names (JSON-LD publisher, og:site_name, application name, the host's name), folded."""
    names = [n for a in ld for n in ld_names(a.get("publisher"))] + list(sites)
    names += [v for k, v in metas if k in ("og:site_name", "application-name", "twitter:site")]
    return {fold(n.lstrip("@")) for n in names if n.strip()}


def _is_outlet(name: str, outlet: set[str]) -> bool:
    """The outlet or one of its desks ("DEMOWIRE NORD" on demowire.test)."""
    folded = fold(name)
    return folded in outlet or folded.split(" ")[0] in outlet


def _credits(names: list[str]) -> list[str]:
    """The credits that read as names: not a domain, an e-mail address or a phrase."""
    return [n for n in names if not _NOT_A_NAME.search(n.strip()) and len(n.split()) <= _MAX_NAME_WORDS]


def page_authors(tree, ld: list[dict], metas: list[tuple[str, str]], sites: list[str] = (),
                 author_xpath: str = "") -> list[str]:
    """The page's authors from the most reliable source that names a person, less the credits that
    are no names. The outlet's own choices (its ``author_xpath``, JSON-LD, its first author tag) are
    kept whole, outlet credits beside people included; from the fallbacks (other tags, the printed
    byline) only the people. Failing a person, the outlet's credit stays (an outlet credits desk and
    agency copy to itself)."""
    outlet = _outlet_names(ld, metas, list(sites)) - {""}
    ld_credit = clean_authors([n for a in ld for n in ld_names(a.get("author"))])
    markup = clean_authors(markup_authors(tree, metas))
    printed = functools.cache(lambda: clean_authors(byline_authors(tree)))  # it copies the tree: once
    if len(markup) > _MAX_MARKUP_NAMES:  # the credits of a list of related articles: the byline's only
        markup = [n for n in markup if fold(n) in {fold(p) for p in printed()}]
    own = (lambda: xpath_authors(tree, author_xpath) if author_xpath else [], lambda: ld_credit, lambda: markup)
    fallbacks = (lambda: every_meta_author(metas), printed, lambda: labelled_authors(tree), lambda: bold_authors(tree))
    for i, source in enumerate(own + fallbacks):
        names = _credits(clean_authors(source()))
        people = [n for n in names if not _is_outlet(n, outlet)]
        if people:
            return names if i < len(own) else people
    return ld_credit or markup or _credits(printed())
