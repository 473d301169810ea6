"""Many columns of one Arrow type converted in one Arrow call (pure).

A session's tables have hundreds of small columns, and an Arrow call costs more than the few values
it converts. Each batch function takes the columns' values laid end to end and their lengths, and
returns one array per column, or None for a column it could not convert as sent: those go to their
converter in `values.CONVERTERS` one by one, which reads and reports them. A column converted here is
exactly what its converter returns, for values its converter would have reported nothing about.
A batch function never raises: what fails here fails (or is reported) in the column's own converter.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence

import pyarrow as pa
import pyarrow.compute as pc

from ..tables import MONEY, TIMESTAMP
from .dates import parse_day, parse_timestamp
from .values import parse_distinct, third_decimal

Arrays = List[Optional[pa.Array]]
Batch = Callable[[List[Any], Sequence[int]], Arrays]


def strings(values: List[Any], lengths: Sequence[int]) -> Arrays:
    """`values.str_array` when every value is a string or null."""
    return _sliced(_array(values, pa.string()), lengths)


def floats(values: List[Any], lengths: Sequence[int]) -> Arrays:
    """`values.float_array` when every value is a finite number (not a boolean) or null."""
    if bool in set(map(type, values)):
        return [None] * len(lengths)
    array = _array(values, pa.float64())
    if array is not None and pc.all(pc.is_finite(array)).as_py() is False:
        array = None
    return _sliced(array, lengths)


def integers(values: List[Any], lengths: Sequence[int]) -> Arrays:
    """`values.int_array` when every value is an integer (not a boolean) or null."""
    if {float, bool} & set(map(type, values)):
        return [None] * len(lengths)
    return _sliced(_array(values, pa.int64()), lengths)


def booleans(values: List[Any], lengths: Sequence[int]) -> Arrays:
    """`values.bool_array` when every value is a boolean or null."""
    return _sliced(_array(values, pa.bool_()), lengths)


def days(values: List[Any], lengths: Sequence[int]) -> Arrays:
    """`values.day_array` when every value reads as a day."""
    return _sliced(_parsed(values, parse_day, pa.date32()), lengths)


def timestamps(values: List[Any], lengths: Sequence[int]) -> Arrays:
    """`values.timestamp_array` when every value reads as a timestamp."""
    return _sliced(_parsed(values, parse_timestamp, TIMESTAMP), lengths)


def money(values: List[Any], lengths: Sequence[int]) -> Arrays:
    """`values.money_array` for a column of numbers that cast to DECIMAL(18,2) and that either come
    back unchanged or have no third decimal (the two ways money_array returns the cast unreported)."""
    if {bool, str} & set(map(type, values)):
        return [None] * len(lengths)
    amounts = _array(values, pa.float64())
    if amounts is None:
        return [None] * len(lengths)
    try:
        cast = pc.cast(amounts, MONEY)  # NaN, infinity and amounts beyond DECIMAL(18,2) raise
    except Exception:  # noqa: BLE001 (as in _array)
        return [None] * len(lengths)
    unchanged = pc.equal(pc.cast(cast, pa.float64()), amounts)
    off = third_decimal(amounts)
    return [column if same.false_count == 0 or third.true_count == 0 else None
            for column, same, third in zip(_sliced(cast, lengths), _sliced(unchanged, lengths), _sliced(off, lengths))]


BATCHES: Dict[pa.DataType, Batch] = {
    pa.string(): strings,
    pa.float64(): floats,
    pa.int64(): integers,
    pa.bool_(): booleans,
    MONEY: money,
    pa.date32(): days,
    TIMESTAMP: timestamps,
}


def _array(values: List[Any], type_: pa.DataType) -> Optional[pa.Array]:
    try:
        return pa.array(values, type=type_)
    except Exception:  # noqa: BLE001 (the column's own converter meets it again, and handles or raises it)
        return None


def _parsed(values: List[Any], parse: Callable[[Any], Any], type_: pa.DataType) -> Optional[pa.Array]:
    try:
        parsed = parse_distinct(values, parse)
    except Exception:  # noqa: BLE001 (unreadable or unhashable: read one by one, reported)
        return None
    return _array(parsed, type_)


def _sliced(array: Optional[pa.Array], lengths: Sequence[int]) -> Arrays:
    if array is None:
        return [None] * len(lengths)
    out: Arrays = []
    start = 0
    for n in lengths:
        out.append(array.slice(start, n))
        start += n
    return out
