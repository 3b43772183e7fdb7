"""``storage.columns.column`` gives the array ``pa.array`` gives, for every type it lays out itself."""
from __future__ import annotations

from datetime import datetime, timezone

import pyarrow as pa
import pytest

from storage.columns import column, values

CASES = [
    (pa.string(), ["a", "", "Idlib إدلب İdlib Идлиб", "x" * 1000]),
    (pa.bool_(), [True, False, True, True, False, False, False, False, True]),
    (pa.float32(), [0.5, 1.0, 0.123456789]),
    (pa.float64(), [0.5, -1e300, 0.123456789]),
    (pa.int32(), [0, -5, 2**31 - 1]),
    (pa.int64(), [0, -5, 2**40]),
    (pa.list_(pa.string()), [(), ("a", "b"), ["إدلب"], ()]),
    (pa.string(), []),
    (pa.list_(pa.string()), []),
    (pa.string(), ["a", None]),  # a null: through pa.array
    (pa.list_(pa.string()), [("a", None)]),
    (pa.timestamp("us", "UTC"), [None]),  # another type: through pa.array
]


@pytest.mark.parametrize("type, values", CASES)
def test_a_column_equals_pa_array(type, values):
    got = column(values, type)
    got.validate(full=True)
    assert got.type == type and got.equals(pa.array(values, type))


def test_a_lone_surrogate_fails_as_pa_array_fails():
    with pytest.raises((pa.ArrowInvalid, UnicodeEncodeError)):
        column(["ok", "\ud800"], pa.string())


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
@pytest.mark.parametrize("tz", [None, "UTC", "Asia/Damascus", "+03:00"])
def test_timestamps_come_back_as_the_same_instants_in_utc(unit, tz):
    """``values`` gives each timestamp's instant as a UTC datetime (naive ones read as UTC),
    what pyarrow gives through the column's time zone, nanoseconds cut to microseconds."""
    raw = [0, -86_400_123_456_789, 1_601_596_800_987_654_321, None]  # 1970, 1969 (before the epoch), 2020
    scale = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}[unit]
    col = pa.chunked_array([pa.array([None if v is None else v // scale for v in raw[:2]], pa.timestamp(unit, tz)),
                            pa.array([None if v is None else v // scale for v in raw[2:]], pa.timestamp(unit, tz))])
    want = [None if v is None else v.replace(tzinfo=v.tzinfo or timezone.utc)
            for v in col.cast(pa.timestamp("us", tz), safe=False).to_pylist()]
    got = values(col)
    assert got == want and all(v is None or v.tzinfo is timezone.utc for v in got)
    assert values(col.slice(1)) == want[1:] and values(col.chunk(1).slice(1)) == want[3:]  # offsets into buffers
    assert got[0] == datetime(1970, 1, 1, tzinfo=timezone.utc)


def test_other_columns_come_back_as_to_pylist():
    col = pa.chunked_array([pa.array(["a", None]), pa.array(["إدلب"])])
    assert values(col) == col.to_pylist()


@pytest.mark.parametrize("type", [pa.string(), pa.large_string()])
def test_strings_come_back_as_to_pylist(type):
    """``values`` cuts strings from the buffers: ASCII chunks, others, nulls, empty strings,
    slices whose offsets do not start at 0, an empty chunk and a chunk of nulls only."""
    col = pa.chunked_array([pa.array(["id-1", "", None, "id-22"], type), pa.array(["إدلب", None, "Türkiye", ""], type),
                            pa.array([], type), pa.array([None, None], type)])
    assert values(col) == col.to_pylist()
    for piece in (col.slice(1), col.slice(3, 3), col.chunk(1).slice(1, 2), col.chunk(0).slice(4)):
        assert values(piece) == piece.to_pylist()
