"""The furniture that closes an article (calls to subscribe, follow, share or comment, tag lines,
update stamps) and hover cards inside its sentences, on pages of our own; the article's own
sentences about the same things stay."""
from __future__ import annotations

import pytest

from pipeline.extract.closing import drop_closing_lines, is_closing
from tests.test_cleanup import PARAS, _lines, _page

CLOSINGS = [
    "Subscribe to our newsletter to get the day's news from Idlib in your inbox.",
    "Follow us on Telegram and X for the latest updates.",
    "Abonnez-vous à notre lettre d'information",
    "Подписывайтесь на наш канал в Telegram",
    "تابعونا على تلغرام",
    "Bizi takip edin: X, Instagram, YouTube",
    "Like this story? Share it with a friend!",
    "Filed under: Syria | Idlib |",
    "Etiketler: İdlib, Suriye",
    "الكلمات المفتاحية: إدلب، سوريا",
    "Updated at 1:23 p.m.",
    "Comments",
    "3 commentaires",
]
ARTICLE_LINES = [
    "The council said subscriptions to the local paper doubled after the convoy arrived.",
    "Residents follow the talks on television and share the news in the market.",
    "Yorumlarını paylaşan sakinler, yolların açık kaldığını söyledi.",
    "Haberi paylaşan hesaplar, konvoyun sabah yola çıktığını yazdı.",
    "اشترك في الهجوم عدد من الفصائل المسلحة بحسب المرصد.",
    "وقال الأهالي إنهم تابعوا المفاوضات عبر الإذاعة المحلية.",
    "Жители решили поделиться опытом восстановления школ.",
    "The council's newsletter reported the shelling near the bakery on Monday evening, residents said.",
    "Residents follow the talks on xenophobia and the return of refugees closely.",
    PARAS[2],
]


@pytest.mark.parametrize("line", CLOSINGS)
def test_closing_lines_are_recognised(line):
    assert is_closing(line)


@pytest.mark.parametrize("line", ARTICLE_LINES)
def test_the_articles_own_sentences_are_not_closing_furniture(line):
    assert not is_closing(line)


def test_only_the_end_is_trimmed():
    lines = ["Follow us on Telegram for the latest updates.", *PARAS, *CLOSINGS]
    assert drop_closing_lines(lines) == lines[:1 + len(PARAS)]  # a call inside the text is the text's
    assert drop_closing_lines(["Comments"]) == ["Comments"]  # never the first line


def test_a_page_ends_with_its_article():
    tail = ('<div class="signup"><p>Subscribe to our newsletter to get the day\'s news in your inbox.</p></div>'
            '<p>Follow us on Telegram and X for the latest updates.</p><p>Etiketler: İdlib, Suriye</p>')
    assert _lines(_page("", tail)) == PARAS


def test_a_hover_card_inside_a_sentence_is_dropped_and_the_name_kept():
    card = ('<span class="person"><a href="/people/jane-roe">Jane Roe</a><span class="card">'
            '<img src="/img/roe.jpg" alt=""><a href="/people/jane-roe">Jane Roe</a>'
            '<a href="/news/7">Council votes on the reconstruction budget for the southern villages</a> '
            '<a href="/news/8">Roe visits the camps near the border with aid officials</a></span></span>')
    sentence = (f"<p>The council's envoy {card} said on Tuesday that the convoy would return within a week "
                "with fuel for the bakeries of the area.</p>")
    lines = _lines(_page(sentence))
    assert ("The council's envoy Jane Roe said on Tuesday that the convoy would return within a week with fuel for "
            "the bakeries of the area.") in lines
    assert not any("reconstruction budget" in line for line in lines)


def test_a_linked_photo_credit_inside_a_paragraph_stays():
    figure = ('<p>The road to the camps reopened on Monday after three weeks of repairs by the residents. '
              '<span><img src="/img/road.jpg" alt=""> Photo: <a href="/staff/ali">Ali</a></span> '
              'Trucks crossed it the same evening with flour and blankets for the families.</p>')
    assert any("Trucks crossed it the same evening" in line for line in _lines(_page(figure)))


def test_a_sentence_in_a_span_with_an_emoji_image_and_links_stays():
    sentence = ('<p><span style="font-weight: 400;">Volunteers from <a href="/org/1">the relief committee</a> and '
                '<a href="/org/2">the local council</a> rebuilt the bakery in two weeks '
                '<img class="emoji" src="/img/smile.png" alt=""> and opened it on Friday morning.</span></p>')
    assert any("rebuilt the bakery in two weeks" in line for line in _lines(_page(sentence)))
