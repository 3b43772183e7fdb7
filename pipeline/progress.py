"""Progress of long work: a bar on a terminal (rich), plain lines in a log (Airflow's, CI's).

Stages say what they start and what they did through the ``newspipe`` logger
(``note``), which the command line shows on standard error and Airflow keeps
in the task log; loops long enough to watch go through ``track``.
"""
from __future__ import annotations

import logging
import sys
from typing import Iterable, Iterator, TypeVar

T = TypeVar("T")
log = logging.getLogger("newspipe")


def note(message: str) -> None:
    """One line on what a long step starts or did."""
    log.info(message)


def track(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """``items``, with rich's bar on a terminal, or a line before and after in a log."""
    total = total if total is not None else (len(items) if hasattr(items, "__len__") else None)
    if sys.stderr.isatty():
        from rich.console import Console
        from rich.progress import track as rich_track
        yield from rich_track(items, description=description, total=total, console=Console(stderr=True),
                              transient=True)
        return
    note(f"{description} ({total} steps)" if total else description)
    yield from items
    note(f"{description}: done")


def show_notes(verbose: bool = False) -> None:
    """Show ``note`` lines on standard error, plain (the command line calls it)."""
    if not log.handlers:  # called once per command; a second call adds no second handler
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
    log.setLevel(logging.DEBUG if verbose else logging.INFO)
    log.propagate = False
