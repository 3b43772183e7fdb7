"""What trafilatura's text still carries that is not the article, on pages of our own: a list of
related stories with teasers, "read also" pointers in our outlets' languages, a pointer set in
capitals; the article's own sentences that hold a link stay."""
from __future__ import annotations

from pipeline.extract.core import extract

PARAS = [
    "Die Hilfskonvois erreichten am Morgen die Dörfer südlich von Idlib, nachdem die Straße wieder geöffnet wurde.",
    "وصلت القافلة إلى المخيمات القريبة من الحدود بعد ظهر اليوم، وقال المتطوعون إن الطرق بقيت آمنة طوال الرحلة.",
    "Конвой прибыл в лагеря у границы во второй половине дня, сообщили волонтёры, дороги оставались открытыми.",
    "Les familles rentrées des camps ont trouvé les écoles rouvertes et les puits réparés par les habitants.",
]


def _page(middle: str, tail: str = "") -> bytes:
    body = "".join(f"<p>{p}</p>" for p in PARAS[:2]) + middle + "".join(f"<p>{p}</p>" for p in PARAS[2:]) + tail
    head = "<title>Convoy reaches the camps</title><meta property='og:title' content='Convoy reaches the camps'>"
    return (f"<html><head>{head}</head><body><article><h1>Convoy reaches the camps</h1>{body}"
            "</article></body></html>").encode()


def _lines(page: bytes) -> list[str]:
    return extract(page, "https://demo.test/news/convoy").text.split("\n")


def test_pointers_to_other_stories_are_dropped_and_the_article_kept():
    pointers = ('<p>اقرأ أيضا: <a href="/news/2">مقتل ثلاثة مدنيين في قصف على ريف إدلب الجنوبي</a></p>'
                '<p>Читайте также: <a href="/news/3">Турция усилила посты наблюдения в провинции Идлиб</a></p>'
                '<p>Also on demo.test <a href="/news/4">Aid agencies warn of winter shortages in the camps</a></p>'
                '<p><a href="/news/5">CEASEFIRE TALKS RESUME IN ANKARA AFTER A WEEK OF STRIKES</a></p>')
    assert _lines(_page(pointers)) == PARAS


def test_a_related_list_with_teasers_is_dropped():
    items = "".join(f'<li><a href="/news/{i}">Headline of another story number {i}</a> A teaser sentence for it, longer than its headline by a good way.</li>'
                    for i in range(4))
    assert _lines(_page("", f"<ul>{items}</ul>")) == PARAS


def test_sentences_holding_a_link_stay():
    linked = ('<p><a href="/news/6">The United Nations said in a statement</a> that the convoy carried food for '
              'eleven thousand people and medicine for the clinics of the area.</p>'
              '<ul><li><a href="/report">The full report of the monitors</a> lists every village the convoy reached '
              'and the date of each delivery.</li></ul>')
    lines = _lines(_page(linked))
    assert any(line.startswith("The United Nations said") for line in lines)
    assert any("The full report of the monitors" in line for line in lines)


def test_a_body_split_into_chunks_around_an_ad_is_read_whole():
    paras = [f"{PARAS[i % 4]} {PARAS[(i + 1) % 4]}" for i in range(6)]
    first = "".join(f"<p>{p}</p>" for p in paras[:3])
    second = "".join(f"<p>{p}</p>" for p in paras[3:])
    comments = "".join(f'<div class="comment"><p>{p}</p><p>{p[::-1]}</p></div>' for p in PARAS[:3])
    chunk = '<div class="body__container article__body">'
    page = ("<html><head><title>Convoy reaches the camps</title></head><body><article><h1>Convoy reaches the camps</h1>"
            f'<div class="chunks">{chunk}{first}</div><div class="ad">Advertisement</div>'
            f'<aside class="pullquote"><p>“The road stayed open.”</p></aside></div>'
            f'<div class="chunks">{chunk}{second}</div></div></article>'
            f'<section class="comments">{comments}</section></body></html>').encode()
    lines = _lines(page)
    assert [line for line in lines if line in paras] == paras, lines
    assert not any(p[::-1] in lines for p in PARAS)  # the comments stay out
