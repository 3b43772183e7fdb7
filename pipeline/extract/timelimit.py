"""A wall-clock limit on one piece of CPU-bound work in this process (one page's extraction).

``SIGALRM`` interrupts Python code between bytecodes, so a page that makes
trafilatura or htmldate run for minutes is given up after the limit. It
works only in a process's main thread (the extraction pool's workers and a
CLI run) and when no other alarm is set (Airflow's own task timeout uses
one): elsewhere the work runs without a limit.
"""
from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator


class TooSlow(BaseException):
    """Raised inside the limited work when its time is up. A BaseException, so that the
    ``except Exception`` blocks of the libraries it interrupts do not swallow it."""


def _on_alarm(signum, frame):
    raise TooSlow()


@contextmanager
def time_limit(seconds: float | None) -> Iterator[bool]:
    """Run the block with a limit of ``seconds``; yields whether the limit is in force."""
    usable = (bool(seconds) and seconds > 0 and threading.current_thread() is threading.main_thread()
              and signal.getitimer(signal.ITIMER_REAL)[0] == 0)
    if not usable:
        yield False
        return
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield True
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
