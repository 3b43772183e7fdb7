"""``storage.columns.column`` gives the array ``pa.array`` gives, for every type it lays out itself."""
from __future__ import annotations

import pyarrow as pa
import pytest

from storage.columns import column

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
