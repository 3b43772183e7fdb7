"""The one date parser: ISO 8601 or RFC 822 text to an aware UTC datetime.

Feeds, sitemaps, headers, structured data and command lines all write dates
in one of the two forms; everything that reads a date from outside goes
through ``parse_date`` (lenient: None when unreadable) or ``as_utc`` (strict:
for parameters, where a bad date is the caller's error).
"""
from __future__ import annotations

from datetime import datetime, timezone
from email.utils import parsedate_to_datetime


def parse_date(value: str | None) -> datetime | None:
    """ISO 8601 or RFC 822 date to an aware UTC datetime; None when unparseable or out of
    range (``0001-01-01T00:30+05:00`` has no UTC datetime). A date without a zone is UTC."""
    if not value or not isinstance(value, str):
        return None
    value = value.strip()
    try:
        d = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            d = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    try:
        return as_utc(d)
    except ValueError:
        return None


def as_utc(value: datetime | str) -> datetime:
    """A datetime or ISO 8601 string as an aware UTC datetime (naive means UTC).
    Raises ValueError for text that is not ISO 8601 or a date out of range."""
    d = datetime.fromisoformat(value) if isinstance(value, str) else value
    try:
        return d.replace(tzinfo=timezone.utc) if d.tzinfo is None else d.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError(f"{value!s} is out of range") from None
