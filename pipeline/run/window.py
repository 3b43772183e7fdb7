"""A run's window: whole UTC days, checked, and the day each article belongs to."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from pipeline.settings import MAX_WINDOW_DAYS
from storage.layout import partition_name

EARLIEST = datetime(1990, 1, 1, tzinfo=timezone.utc)  # before any web news archive
LATEST = datetime(2200, 1, 1, tzinfo=timezone.utc)


class WindowError(ValueError):
    """A window that cannot be run: backwards, too long, or out of range."""


def align_window(since: datetime, until: datetime) -> tuple[datetime, datetime]:
    """The whole UTC days covering ``[since, until)``, checked.

    A run replaces whole day partitions, so it must collect whole days: a
    window of 14:37 to 14:37 the next day becomes the two days it touches.
    Raises ``WindowError`` for a window that ends before it starts, lies
    outside 1990-2200, or spans more than ``MAX_WINDOW_DAYS`` days.
    """
    since, until = since.astimezone(timezone.utc), until.astimezone(timezone.utc)
    if since >= until:
        raise WindowError(f"window start {since.isoformat()} is not before its end {until.isoformat()}")
    if since < EARLIEST or until > LATEST:
        raise WindowError(f"window {since:%Y-%m-%d} .. {until:%Y-%m-%d} lies outside "
                          f"{EARLIEST:%Y-%m-%d} .. {LATEST:%Y-%m-%d}")
    start = since.replace(hour=0, minute=0, second=0, microsecond=0)
    end = until.replace(hour=0, minute=0, second=0, microsecond=0)
    if end < until:
        end += timedelta(days=1)
    if (end - start).days > MAX_WINDOW_DAYS:
        raise WindowError(f"window {start:%Y-%m-%d} .. {end:%Y-%m-%d} spans {(end - start).days} days, more than "
                          f"{MAX_WINDOW_DAYS}: run it in parts (a backfill runs one day at a time)")
    return start, end


def window_note(since: datetime, until: datetime) -> str | None:
    """What alignment changed, for the run's report; None when the window was whole days."""
    start, end = align_window(since, until)
    if (start, end) == (since.astimezone(timezone.utc), until.astimezone(timezone.utc)):
        return None
    return (f"window {since.isoformat()} .. {until.isoformat()} aligned to whole UTC days "
            f"{start:%Y-%m-%d} .. {end:%Y-%m-%d} (until excluded): a run replaces whole days")


def window_days(since: datetime, until: datetime) -> list[date]:
    days, d = [], since.astimezone(timezone.utc).date()
    end = until.astimezone(timezone.utc)
    while datetime.combine(d, datetime.min.time(), timezone.utc) < end:
        days.append(d)
        d += timedelta(days=1)
    return days


def day_of(published_at: datetime | None, since: datetime, until: datetime) -> date:
    if published_at is not None and since <= published_at < until:
        return published_at.astimezone(timezone.utc).date()
    return since.astimezone(timezone.utc).date()


def day_locks(since: datetime, until: datetime) -> list[str]:
    """The lock names of the window's days (the partitions a run replaces)."""
    return [partition_name(d) for d in window_days(since, until)]
