"""The furniture that closes an article's text: the outlet's calls to action
("Subscribe to our newsletter", "Follow us on Telegram", "Share this story",
"Comments", "You may also like..."), the tag line ("Filed under: ...",
"Etiketler: ...") and the update stamp ("Updated at 1:23 p.m.").

Only the end of the text is trimmed, line by line from the last, and only
while each line is such furniture: a sentence about a subscription inside the
article is the article. The phrases are in our outlets' languages (English,
French, Arabic, Russian, Turkish) and a few more the wires use.
"""
from __future__ import annotations

import re

# imperatives and phrases that only a call to the reader uses: a verb that is also a past tense
# ("اشترك" participated, "تابعوا" they followed) or a participle ("abone olan") is not enough
_CALLS = re.compile(
    r"\b(?:(?:subscribe|sign up)(?: to| for)? (?:our|now|today|here)|(?:in|to) your inbox|"
    r"follow (?:us|him|her|them|[\w.@' -]{2,40}?) on (?:twitter|x|facebook|instagram|youtube|telegram|linkedin|tiktok)\b|"
    r"(?:like|liked|enjoy|enjoyed) this (?:story|article)|share (?:it|this)(?: story| article)? with|"
    r"tell us what you think|you (?:may|might) also like|click here (?:for|to)|"
    r"abonnez-vous|inscrivez-vous|suivez-nous|partagez cet|"
    r"abonnieren sie|folgen sie uns|suscr[ií]bete|s[ií]guenos|"
    r"подписывайтесь|подпишитесь|следите за нами|читайте нас|"
    r"abone olun\b|abone ol\b|bizi takip ed|bizi izleyin|haberi payla[sş]ın\b)",
    re.I)
_ARABIC_CALLS = re.compile(r"تابعونا|اشترك(?:وا)? (?:في|ب)\s*(?:نشرت|قنات|النشرة|القناة)|للاشتراك في|"
                           r"شارك(?:وا)?\s+(?:هذا الخبر|الخبر|المقال)|حمّل تطبيق|حمل تطبيق")
# a newsletter named in a short line ("Pick Six Newsletter") or offered ("... free daily newsletter")
_NEWSLETTER = re.compile(r"\bnewsletters?\b", re.I)
_OFFER = re.compile(r"\b(?:sign|subscri|inbox|free|get|receive|join)", re.I)
_LONE_WORDS = re.compile(
    r"^(?:\d+\s+)?(?:comments?|commentaires?|yorumlar|yorum yap|комментарии|تعليقات|التعليقات|share|partager|"
    r"paylaş|поделиться|شارك)\W*$", re.I)
# "Filed under: X |", "Tags: a, b", "Etiketler:", "Теги:", "الكلمات المفتاحية:"; "Updated at 1:23 p.m.", "Mis à jour le ..."
_TAGS = re.compile(r"^(?:filed under|tags|tagged|topics|mots-clés|etiketler|anahtar kelimeler|теги|метки|"
                   r"الكلمات المفتاحية|الوسوم|كلمات مفتاحية)\s*[:：]", re.I)
_STAMP = re.compile(r"^(?:(?:last )?updated|mis à jour|güncelleme|güncellendi|обновлено|آخر تحديث|تم التحديث)\b.{0,40}$",
                    re.I)


def is_closing(line: str, max_chars: int = 300) -> bool:
    """A short line asking the reader to subscribe, follow, share or comment, a tag line, or an
    update stamp."""
    line = line.strip().lstrip("-•* ").strip()
    if not line or len(line) > max_chars:
        return False
    if _NEWSLETTER.search(line) and (len(line.split()) <= 8 or _OFFER.search(line)):
        return True
    return bool(_LONE_WORDS.match(line) or _TAGS.match(line) or _STAMP.match(line) or _CALLS.search(line)
                or _ARABIC_CALLS.search(line))


def drop_closing_lines(lines: list[str]) -> list[str]:
    """``lines`` without the furniture that ends them (never the first line)."""
    end = len(lines)
    while end > 1 and is_closing(lines[end - 1]):
        end -= 1
    return lines[:end]
