"""Arabic, Persian and Turkish writing on our own pages: right-to-left text, Arabic-Indic and
Persian digits in dates, a Hijri date printed beside the Gregorian one, Turkish dotted and
dotless i in the relevance terms. All text here is written for these tests."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from pipeline.articles.relevance import score_relevance
from pipeline.extract.core import extract

_PARAS = [f"قصفت قوات النظام بلدات في ريف إدلب الجنوبي صباح اليوم، وقال متطوعو الدفاع المدني إن ثلاثة مدنيين "
          f"أصيبوا في الهجوم الذي استهدف الطريق بين أريحا وجبل الزاوية، في الموجة رقم {i}." for i in range(1, 7)]


def _page(date_html: str) -> str:
    body = "".join(f"<p>{p}</p>" for p in _PARAS)
    return (f"<html lang='ar' dir='rtl'><head><meta charset='utf-8'><title>قصف على ريف إدلب الجنوبي</title></head>"
            f"<body><nav><a href='/'>الرئيسية</a></nav><article><h1>قصف على ريف إدلب الجنوبي</h1>"
            f"<div class='meta'>{date_html}</div>{body}</article></body></html>")


OCT_2 = datetime(2020, 10, 2, tzinfo=timezone.utc)


@pytest.mark.parametrize("date_html", [
    "<span class='date'>٢٠٢٠/١٠/٠٢</span>",                                        # Arabic-Indic digits
    "<span class='date'>۲۰۲۰/۱۰/۰۲</span>",                                        # Persian digits
    "<span class='date'>الجمعة ١٥ صفر ١٤٤٢ هـ الموافق ٢ أكتوبر ٢٠٢٠</span>",         # Hijri beside Gregorian
    "<span class='date'>الجمعة ١٥ صفر ١٤٤٢ هـ - ٢ تشرين الأول ٢٠٢٠ م</span>",         # the Levant's month names
    "<span class='date'>15 صفر 1442 هـ الموافق 2 أكتوبر 2020</span>",              # Latin digits
])
def test_dates_in_arabic_writing_are_read_as_the_gregorian_day(date_html):
    doc = extract(_page(date_html), "http://dimashq-news.test/ar/?p=123456")
    assert doc.verdict == "article" and doc.published_at is not None
    assert doc.published_at.date() == OCT_2.date(), (date_html, doc.published_at, doc.date_source)


def test_right_to_left_text_is_kept_whole_and_in_order():
    doc = extract(_page("<span class='date'>٢٠٢٠/١٠/٠٢</span>"), "http://dimashq-news.test/ar/?p=123456")
    assert doc.language == "ar"
    positions = [doc.text.find(p) for p in _PARAS]
    assert all(pos >= 0 for pos in positions) and positions == sorted(positions)
    assert "الرئيسية" not in doc.text          # the navigation is not the article


@pytest.mark.parametrize("text", ["İDLİB'DE ÇATIŞMALAR SÜRÜYOR", "İdlib'de çatışmalar sürüyor", "IDLIB'DE ÇATIŞMALAR",
                                  "idlib'de çatışmalar sürüyor", "İdlib kırsalında", "Zaviye Dağı'nda çatışma"])
def test_turkish_dotted_and_dotless_i_find_the_terms(text):
    rel = score_relevance(" ".join([text] * 4), text)
    assert rel.matched_terms and rel.relevant, (text, rel)
