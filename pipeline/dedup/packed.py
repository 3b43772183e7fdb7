"""Texts as the compiled kernels read them: their UTF-8 bytes in one array.

Encoding and joining 20,000 articles of 5 KB costs about 0.3 s each time, so a
batch is packed once and shared by the passes that read it (paragraph keys,
boilerplate, shingles); a text that a pass changes is spliced in (``replace``)
or read beside the batch (``overlay``), not the whole batch packed again. A
Parquet or Arrow string column is already packed: its buffers are read as they
are (``Packed.of_arrow``), and its texts are Python strings only where a step
reads one as a string (``Deferred``, ``Texts``, ``TextField``).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Iterable, NamedTuple

import numpy as np


def offsets(sizes: Iterable[int], count: int) -> np.ndarray:
    """``[0, s0, s0+s1, …]``: where each of ``count`` items starts once concatenated, and the end."""
    out = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(np.fromiter(sizes, dtype=np.int64, count=count), out=out[1:])
    return out


def pack(parts: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Documents as the kernels take them: one uint8 array and the documents' offsets in it."""
    return np.frombuffer(b"".join(parts), dtype=np.uint8), offsets(map(len, parts), len(parts))


def utf8(text: str) -> bytes:
    """UTF-8, lone surrogates (JSON input can carry them) kept as their bytes instead of failing."""
    return text.encode("utf-8", "surrogatepass")


class Packed(NamedTuple):
    """Text ``i`` is ``buf[bounds[i]:bounds[i + 1]]`` (UTF-8)."""

    buf: np.ndarray
    bounds: np.ndarray

    @classmethod
    def of(cls, texts: list[str]) -> Packed:
        return cls(*pack([utf8(t) for t in texts]))

    @classmethod
    def of_arrow(cls, column) -> Packed | None:
        """A pyarrow string column's own buffers (None for another type); a null is an empty text."""
        import pyarrow as pa
        if isinstance(column, pa.ChunkedArray):  # one chunk (one row group) as it is: combining copies it
            array = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
        else:
            array = column
        if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
            return None
        if array.null_count:  # a null slot may own bytes: spell it as the empty text
            array = array.fill_null("")
        width = np.int64 if pa.types.is_large_string(array.type) else np.int32
        _, offs, data = array.buffers()
        at = np.frombuffer(offs, dtype=width)[array.offset: array.offset + len(array) + 1].astype(np.int64)
        buf = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, dtype=np.uint8)
        return cls(buf[at[0]:at[-1]], at - at[0])

    @classmethod
    def of_arrow_batches(cls, arrays: Iterable, size_hint: int = 0) -> Packed:
        """String arrays read one after another (``ParquetFile.iter_batches``), copied end to end
        into one buffer (``size_hint`` bytes at first, grown when short); a null is an empty text.
        Arrow's reader building one array of a whole 100 MB column grows it through fresh memory,
        three times its size in page faults; a batch of a few hundred rows reuses the same
        memory for the next (0.42 -> 0.24 s for 20,000 articles of 5 KB)."""
        buf, bounds, n = np.empty(max(size_hint, 1 << 16), dtype=np.uint8), [np.zeros(1, dtype=np.int64)], 0
        for array in arrays:
            part = cls.of_arrow(array)
            if part is None:
                raise TypeError(f"not a string column but {array.type}")
            size = part.buf.size
            if n + size > buf.size:  # np.empty: the pages beyond what is written are never touched
                grown = np.empty(max(2 * buf.size, n + size), dtype=np.uint8)
                grown[:n] = buf[:n]
                buf = grown
            buf[n:n + size] = part.buf
            bounds.append(part.bounds[1:] + n)
            n += size
        return cls(buf[:n], np.concatenate(bounds))

    def part(self, i: int) -> bytes:
        return self.buf[self.bounds[i]:self.bounds[i + 1]].tobytes()

    def deferred(self) -> list[Deferred]:
        """Every text as a ``Deferred``: not decoded until a step reads it as a string."""
        return [Deferred(self, i) for i in range(self.bounds.size - 1)]

    def replace(self, changes: dict[int, bytes]) -> Packed:
        """The same texts but those of ``changes`` (index -> new UTF-8 bytes), spliced in."""
        if not changes:
            return self
        sizes, pieces, start, b = np.diff(self.bounds), [], 0, self.bounds
        for i in sorted(changes):
            pieces += [self.buf[b[start]:b[i]], np.frombuffer(changes[i], dtype=np.uint8)]
            sizes[i], start = len(changes[i]), i + 1
        pieces.append(self.buf[b[start]:b[-1]])
        return Packed(np.concatenate(pieces), offsets(sizes.tolist(), sizes.size))

    def overlay(self, changes: dict[int, bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``changes`` (index -> new UTF-8 bytes) packed beside the texts instead of spliced in:
        their bytes, their bounds, and for each text its row among them (-1: unchanged). A
        kernel that reads both copies nothing of the batch (a splice writes 100 MB of fresh
        memory for 20,000 articles)."""
        rows = sorted(changes)
        at = np.full(self.bounds.size - 1, -1, dtype=np.int64)
        at[rows] = np.arange(len(rows))
        return *pack([changes[i] for i in rows]), at

    def take(self, order: list[int]) -> Packed:
        """Texts ``order[0], order[1], …`` (a reordering, or some of them)."""
        b = self.bounds.tolist()
        if len(order) == len(b) - 1 and order == list(range(len(order))):
            return self  # in order already (input sorted by id): no copy
        buf = np.concatenate([self.buf[b[i]:b[i + 1]] for i in order]) if order else np.zeros(0, dtype=np.uint8)
        return Packed(buf, offsets((b[i + 1] - b[i] for i in order), len(order)))


class Deferred:
    """Text ``index`` of ``packed``, left in UTF-8 until a step reads it as a string (``str()``).
    Most texts of a batch only ever go to the kernels, as bytes: decoding 20,000 articles of
    5 KB into Python strings cost 0.2-0.3 s and 190 MB."""

    __slots__ = ("packed", "index")

    def __init__(self, packed: Packed, index: int):
        self.packed, self.index = packed, index

    def __str__(self) -> str:
        return self.packed.part(self.index).decode("utf-8", "surrogatepass")


class Texts(Sequence):
    """Strings of which some are given ``Deferred``: each decoded when first read, then kept."""

    def __init__(self, items: Iterable[str | Deferred]):
        self._items = list(items)

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(len(self._items))[i]]
        text = self._items[i]
        if type(text) is not str:
            text = self._items[i] = str(text)
        return text


class TextField:
    """A dataclass field holding a string or a ``Deferred``, a string when read (decoded once);
    ``raw`` gives what it holds without decoding, for a step that passes it on unread."""

    def __set_name__(self, owner, name: str):
        self.slot = "_" + name

    def __get__(self, obj, owner=None):
        if obj is None:
            return ""  # the field's default
        text = obj.__dict__[self.slot]
        if type(text) is not str:
            text = obj.__dict__[self.slot] = str(text)
        return text

    def __set__(self, obj, value: str | Deferred) -> None:
        obj.__dict__[self.slot] = value

    def raw(self, obj) -> str | Deferred:
        return obj.__dict__[self.slot]


def as_texts(texts: Sequence) -> Texts:
    """``texts`` as ``Texts`` (the same object when it is one)."""
    return texts if isinstance(texts, Texts) else Texts(texts)
