"""Verdicts that must not drop real articles (every page of the shared corpora is one) nor let
index pages through: a page drawn by JavaScript whose body sits in a script, a Japanese article
beside many links (no spaces between words), and the replay site's home pages and stubs."""
from __future__ import annotations

import json

from pipeline.extract.core import extract

ARABIC = ("وصلت قافلة المساعدات إلى ريف إدلب الجنوبي صباح اليوم بعد توقف دام أسبوعين بسبب القصف. "
          "وقال عمال الإغاثة إن الطرق بقيت مفتوحة طوال اليوم وإن الأسر بدأت بالعودة إلى القرى القريبة. ")


def _drawn_page(paragraphs: list[str]) -> bytes:
    """A page whose server sends an empty main element and the body as HTML inside the JSON of a
    script (as React Query's dehydrated state and Next.js's flight data do)."""
    body = "".join(f'<p class="editor-p">{p}</p>' for p in paragraphs)
    state = json.dumps({"queries": [{"state": {"data": {"detail": {"title": "قافلة", "content": body}}}}]})
    flight = json.dumps(f'1:["$","div",null,{json.dumps({"dangerouslySetInnerHTML": {"__html": body}})}]\n')
    return (f'<html lang="ar" dir="rtl"><head><title>قافلة المساعدات تصل</title></head><body><main></main>'
            f'<script>window["__RQ"] = window["__RQ"] || []; window["__RQ"].push({state});</script>'
            f"<script>self.__next_f.push([1,{flight}])</script></body></html>").encode()


def test_a_body_carried_in_a_script_is_read_when_the_markup_has_none():
    paragraphs = [ARABIC * 2, "وأضافوا أن المدارس فتحت أبوابها من جديد. " + ARABIC, ARABIC + "وانتهى اليوم بهدوء."]
    doc = extract(_drawn_page(paragraphs), "https://drawn.test/news/1")
    assert doc.verdict == "article", doc.reason
    assert doc.text.split("\n") == [p.strip() for p in paragraphs] and doc.language == "ar"
    # a script of short strings (settings, menus) is no body: the empty page stays empty
    empty = _drawn_page(["قائمة", "بحث", "اتصل بنا"])
    assert extract(empty, "https://drawn.test/news/2").verdict != "article"


JAPANESE = "イドリブ南部で停戦監視の新しい拠点が設けられ、住民の帰還が少しずつ進んでいると地元の救助隊が伝えた。"


def test_link_share_counts_letters_so_a_japanese_article_beside_many_links_is_an_article():
    nav = "".join(f'<li><a href="/news/{i}">ニュース 速報 {i} 件目 の 見出し</a></li>' for i in range(40))
    page = (f"<html lang='ja'><body><nav><ul>{nav}</ul></nav><article><h1>停戦監視の拠点</h1>"
            + "".join(f"<p>第{i}報。{JAPANESE}</p>" for i in range(12)) + "</article></body></html>").encode()
    doc = extract(page, "https://jp.test/articles/1")
    assert doc.verdict == "article", doc.reason
    listing = "".join(f'<li><a href="/news/{i}">{JAPANESE[:30]}{i}</a></li>' for i in range(60))
    index = f"<html lang='ja'><body><h1>最新</h1><ul>{listing}</ul><p>一覧</p></body></html>".encode()
    assert extract(index, "https://jp.test/latest").verdict == "index"


def test_the_replay_sites_home_pages_and_stubs_stay_out():
    from crawlers.replay.site import OUTLETS, build_site, demo_articles
    articles = demo_articles()
    stories = {a.path.split("?")[0] for a in articles}
    checked = 0
    for name in OUTLETS:
        base = f"http://{name}.replay.test"
        for path, page in build_site(name, base, articles).items():
            if "html" not in (page.content_type or "") or path.split("?")[0] in stories or "p=" in path:
                continue
            checked += 1
            doc = extract(page.body, base + path)
            assert doc.verdict != "article", (name, path, doc.reason)
    assert checked >= 2 * len(OUTLETS)
