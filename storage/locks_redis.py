"""Day and table locks in Redis, for runs on several machines sharing one data root
(``NEWSPIPE_LOCKS=redis://host:6379/0``; the default is local files, ``storage.locks``).

- A lock is a key set only if absent, with an expiry (``NEWSPIPE_LOCK_TTL``, 120 s),
  holding its holder's name, host, pid and a random token. A thread renews it every
  third of the expiry while the holder lives; a worker that dies stops renewing, so
  its locks free themselves when the expiry passes instead of blocking forever.
- Fencing: a holder that stopped renewing (paused longer than the expiry, cut off
  from Redis) may find its lock taken by a newer run. Every write's commit point
  (``storage.dataset.replace_partitions`` before its journal, the Redis index before
  its transaction) first checks that each lock still holds this holder's token, and
  a holder whose lock is gone is refused (``LockedError``): a late writer cannot
  overwrite a newer run's days. Each acquisition also takes a number from a counter
  (``fence``), which the index records, so a reader can tell the order of writers.
- Keys live under ``newspipe:lock:SCOPE:`` where SCOPE is a hash of the data root's
  URI: workers with different work directories but one data root share the locks.
"""
from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
import uuid
from contextlib import contextmanager
from typing import Iterator

from storage.locks import LockedError, fencing

_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
_RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"


def _ttl() -> float:
    return float(os.environ.get("NEWSPIPE_LOCK_TTL") or 120)


class _Held:
    """Locks one holder holds, renewed in the background; ``check`` is the fencing test."""

    def __init__(self, r, keys: list[str], token: str, ttl: float, fence: int):
        self.r, self.keys, self.token, self.ttl, self.fence = r, keys, token, ttl, fence
        self.lost: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew, daemon=True, name="newspipe-lock-renewal")

    def __enter__(self) -> "_Held":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for k in self.keys:
            try:
                self.r.eval(_RELEASE, 1, k, self.token)
            except Exception:  # Redis gone: the expiry frees the key
                pass

    def _renew(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            for k in self.keys:
                try:
                    if not self.r.eval(_RENEW, 1, k, self.token, int(self.ttl * 1000)):
                        self.lost.append(k)
                except Exception:
                    pass  # a blip: the next round tries again, the check at commit decides

    def check(self) -> None:
        """Raise ``LockedError`` unless every lock still holds this holder's token."""
        values = self.r.mget(self.keys) if self.keys else []
        gone = [k for k, v in zip(self.keys, values) if (v.decode() if v else None) != self.token]
        if gone:
            held_by = [v.decode() if v else "nobody" for k, v in zip(self.keys, values) if k in gone]
            raise LockedError(f"lock {', '.join(k.rsplit(':', 1)[-1] for k in gone)} was lost (not renewed within "
                              f"{self.ttl:.0f} s; now held by {', '.join(held_by)}): this write is refused so that "
                              "it cannot overwrite a newer run's; rerun the window")


class RedisLocks:
    def __init__(self, url: str, scope: str):
        import redis

        self.r = redis.Redis.from_url(url)
        self.url = url
        self.scope = scope
        self.prefix = f"newspipe:lock:{hashlib.sha1(scope.encode()).hexdigest()[:12]}"

    def _key(self, name: str) -> str:
        return f"{self.prefix}:{name}"

    def _token(self, holder: str) -> str:
        return f"{holder} (pid {os.getpid()} on {socket.gethostname()}) {uuid.uuid4().hex[:8]}"

    @contextmanager
    def partitions(self, names: list[str], holder: str) -> Iterator[None]:
        """Each named lock, at once or ``LockedError`` naming the holder (non-blocking)."""
        token, ttl, taken = self._token(holder), _ttl(), []
        try:
            for name in sorted(set(names)):
                if not self.r.set(self._key(name), token, nx=True, px=int(ttl * 1000)):
                    other = (self.r.get(self._key(name)) or b"another run").decode()
                    raise LockedError(f"partition {name} of {self.scope} is being written by {other}; "
                                      "wait for it to finish or run a different window", other)
                taken.append(self._key(name))
            with _Held(self.r, taken, token, ttl, int(self.r.incr(f"{self.prefix}:fence"))) as held:
                with fencing(held.check):
                    yield
                taken = []  # released by _Held
        finally:
            for k in taken:
                self.r.eval(_RELEASE, 1, k, token)

    @contextmanager
    def exclusive(self, name: str, holder: str = "a run") -> Iterator[None]:
        """One lock, waited for (polling, up to ten expiries: a dead holder's lock expires first)."""
        token, ttl = self._token(holder), _ttl()
        deadline = time.monotonic() + 10 * ttl
        while not self.r.set(self._key(name), token, nx=True, px=int(ttl * 1000)):
            if time.monotonic() > deadline:
                other = (self.r.get(self._key(name)) or b"another run").decode()
                raise LockedError(f"{name} of {self.scope} stayed locked by {other} for {10 * ttl:.0f} s")
            time.sleep(0.2)
        with _Held(self.r, [self._key(name)], token, ttl, int(self.r.incr(f"{self.prefix}:fence"))) as held:
            with fencing(held.check):
                yield
