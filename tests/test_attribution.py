"""Attribution lines: each credit form read, and the keyword-gated search equal to a plain scan."""
from __future__ import annotations

import random
import re

import pytest

from pipeline.articles import attribution
from pipeline.articles.attribution import find_attributions

BODY = "Shelling resumed overnight near the frontline villages south of the city, residents said."


@pytest.mark.parametrize("line, name", [
    ("IDLIB, Syria (Levant Wire) - " + BODY, "levant wire"),
    ("Source: Orontes Daily", "orontes daily"),
    ("Via Orontes Daily", "orontes daily"),
    ("This article was originally published on Mideast Notes.", "mideast notes"),
    ("The story first appeared in The Orontes Daily.", "orontes daily"),
    ("نقلا عن شبكة الشمال", "شبكة الشمال"),
    ("Publié initialement sur Nouvelles du Levant.", "nouvelles du levant"),
    ("Kaynak: Kuzey Haber", "kuzey haber"),
    ("İlk olarak Kuzey Haber'de yayımlandı.", "kuzey haber'de yayımlandı"),
    ("Источник: Северный вестник", "северный вестник"),
])
def test_each_credit_form_is_read(line, name):
    assert attribution.normalize_name(name) in find_attributions(f"{BODY}\n{line}\n{BODY}")


def test_a_credit_in_the_middle_of_a_long_text_does_not_count():
    paras = [BODY] * 10 + ["The report was first published in The Old Gazette in 1998."] + [BODY] * 14
    assert find_attributions("\n".join(paras)) == []


def _plain_scan(text: str) -> list[str]:
    """The search as a plain scan: every pattern over the whole window, anchored ones with ``^``."""
    paras = [p for p in text.split("\n") if p.strip()]
    window = "\n".join(paras if len(paras) <= 15 else paras[:3] + paras[-12:])
    found: list[str] = []
    for _, rx, anchored in attribution._PATTERNS:
        scan = re.compile("^(?:" + rx.pattern + ")", rx.flags | re.M) if anchored else rx
        for m in scan.finditer(window):
            name = attribution.normalize_name(m.group(1))
            if name and name not in found:
                found.append(name)
    return found


PIECES = ["IDLIB, Syria (Levant Wire) - ", "ANKARA (AA) – ", "(Reuters) - ", "Source: Orontes Daily. ",
          "SOURCE - Orontes Daily ", "via: Levant Wire ", "Courtesy of The North Times ", "originally published on ",
          "First appeared in The North Times. ", "first posted at Mideast Notes ", "نقلا عن شبكة الشمال ",
          "المصدر: الوكالة ", "publié initialement sur Le Levant ", "Source : Le Levant ", "Kaynak: Kuzey ",
          "İlk olarak Kuzey Haber ", "ilk olarak Kuzey ", "Источник: Вестник ", "впервые опубликовано на Вестник ",
          "İstanbul ", "(", ") - ", BODY + " ", "word ", "\n", "\n\n"]


def test_the_gated_search_equals_a_plain_scan():
    """Random texts of credit pieces, in any case, with characters whose lower case is longer (İ):
    the search tried only where keywords are finds what a scan of every position finds."""
    rng = random.Random(7)
    for _ in range(3000):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 40)))
        if rng.random() < 0.3:
            text = text.upper()
        assert find_attributions(text) == _plain_scan(text), text


def test_what_normalize_name_keeps_of_ascii_is_what_folded_ascii_keeps_for_every_code_point():
    """``could_name``'s premise, per character: the ASCII that ``normalize_name``'s NFKD, mark
    stripping and case folding leave of a character is what ``folded_ascii`` keeps of it (no
    combining mark folds to ASCII), so a word of ASCII letters in a text's normalised name is
    one in its ``folded_ascii``, whatever lay around it."""
    import sys
    import unicodedata
    for c in map(chr, range(sys.maxunicode + 1)):
        kept = "".join(x for x in unicodedata.normalize("NFKD", c) if not unicodedata.combining(x)).casefold()
        assert "".join(x for x in kept if x.isascii()).encode() == attribution.folded_ascii(c), hex(ord(c))


def test_a_text_that_could_not_name_an_outlet_credits_it_nowhere():
    """``could_name`` False implies ``credits_outlet`` False, on random texts of credit lines,
    accents, marks, ligatures, fullwidth and Turkish letters, against ASCII and other names."""
    from pipeline.articles.attribution import could_name, credits_outlet, folded_ascii
    rng = random.Random(8)
    names = ["Levant Wire", "levant-wire", "Le Monde", "Al Orontes", "Orontes", "The Wire", "ＳＡＮＡ", "sana",
             "Ağ Haber", "شبكة الشمال", "Kuzey", "ﬁrst post", "straße", "w1", ""]
    parts = ["Source: ", "Via ", "(", ") - ", "originally published on ", "نقلا عن ", "Kaynak: ", "\n", " ", ".",
             "Levant", "Wire", "LEVANT", "wire", "Lévant", "W\u0301ire", "Mondé", "Le", "ＳＡＮＡ", "Sana", "İ", "ı",
             "Ağ", "Haber", "KUZEY", "\u212aUZEY", "ﬁrst", "post", "STRASSE", "straße", "-", "_", "«", "w1", "Orontes"]
    credited = skipped = 0
    for _ in range(4000):
        text = "".join(rng.choice(parts) for _ in range(rng.randrange(2, 30)))
        found = find_attributions(text)
        for k in range(1, 4):
            outlet = rng.sample(names, k)
            credits = credits_outlet(found, outlet)
            credited += credits
            if not could_name(folded_ascii(text), outlet):
                skipped += 1
                assert not credits, (text, outlet, found)
    assert credited > 200 and skipped > 2000


def test_texts_folded_in_a_batch_equal_each_folded_alone():
    """``folded_ascii_of`` folds a batch's bytes character by character in compiled code: the
    same bytes as ``folded_ascii`` of each text (marks, ligatures, fullwidth, ß, İ, the Kelvin
    sign, fractions, emoji, mathematical letters beyond the BMP, Arabic and Cyrillic, lone
    surrogates; texts all ASCII, lowered apart), each character's fold from the table."""
    from pipeline.articles.attribution import folded_ascii, folded_ascii_of
    from pipeline.dedup.packed import Packed
    rng = random.Random(3)
    pieces = ["Lévant", "ＳＡＮＡ", "ﬁ", "ß", "ẞ", "İ", "\u212a", "½", "e\u0301", "\u0301\u0323", "إدلب", "Идлиб", " ",
              "\n", "ABC", "xyz", "😀", "\ud800", "㎏", "ǅ", "①", "Ⅻ", "ǰ", "\U0001d400", "\U0001f130", "\U0010fffd"]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randrange(0, 30))) for _ in range(3000)]
    texts += ["".join(rng.choice(pieces[12:16]) for _ in range(rng.randrange(0, 30))) for _ in range(300)]  # ASCII
    rows = list(range(0, 3300, 3))
    assert folded_ascii_of(Packed.of(texts), rows) == [folded_ascii(texts[i]) for i in rows]
    assert folded_ascii_of(Packed.of(texts), []) == []
