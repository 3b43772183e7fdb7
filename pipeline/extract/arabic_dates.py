"""Gregorian dates written in Arabic: month names of the Levant (كانون الثاني) and of Egypt and the
Gulf (يناير), digits Arabic-Indic (٢٠٢٠), Persian (۲۰۲۰) or Latin. htmldate reads none of these
month names, and Syrian outlets print the Hijri date beside the Gregorian one ("١٥ صفر ١٤٤٢ هـ
الموافق ٢ تشرين الأول ٢٠٢٠"): only the Gregorian one is taken, since Hijri month names are not
among these."""
from __future__ import annotations

import re
from datetime import datetime, timezone

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_MONTHS = {
    1: ("كانون الثاني", "يناير"), 2: ("شباط", "فبراير"), 3: ("آذار", "اذار", "مارس"), 4: ("نيسان", "أبريل", "ابريل"),
    5: ("أيار", "ايار", "مايو"), 6: ("حزيران", "يونيو", "يونيه"), 7: ("تموز", "يوليو", "يوليه"),
    8: ("آب", "اب", "أغسطس", "اغسطس"), 9: ("أيلول", "ايلول", "سبتمبر"), 10: ("تشرين الأول", "تشرين الاول", "أكتوبر", "اكتوبر"),
    11: ("تشرين الثاني", "نوفمبر"), 12: ("كانون الأول", "كانون الاول", "ديسمبر"),
}
_BY_NAME = {name: month for month, names in _MONTHS.items() for name in names}
_DATE = re.compile(r"(?<!\d)(\d{1,2})\s+(" + "|".join(sorted(map(re.escape, _BY_NAME), key=len, reverse=True))
                   + r")\s+((?:19|20)\d{2})(?!\d)")


def arabic_date(text: str) -> datetime | None:
    """The first Gregorian date written with an Arabic month name in ``text``, at day precision."""
    for m in _DATE.finditer(text.translate(_DIGITS)):
        try:
            return datetime(int(m[3]), _BY_NAME[m[2]], int(m[1]), tzinfo=timezone.utc)
        except ValueError:
            continue
    return None
