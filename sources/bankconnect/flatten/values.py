"""Typed Arrow columns from JSON values: exact money, dates, numbers; every coercion reported."""

from __future__ import annotations

import json
from itertools import compress
from typing import Any, Callable, List, Optional, Sequence, Tuple

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from ..tables import MONEY, TIMESTAMP
from .dates import parse_day, parse_month, parse_timestamp

# report(row_index, message): called once for every value that was not read as sent.
Report = Callable[[int, str], None]

_MONEY_MAX = 9_999_999_999_999_999.99  # DECIMAL(18,2)
_INT64 = 2**63
_PLAIN_NUMBERS = {float, int, type(None)}


def to_json(value: Any) -> str:
    """Compact JSON text of any payload value (non-JSON leftovers become strings)."""
    try:
        return orjson.dumps(value, default=str).decode()
    except TypeError:
        # orjson stops at 255 levels of nesting; a parsed document can hold up to 1024.
        return _deep_json(value)


def str_array(values: Sequence[Any], report: Report) -> pa.Array:
    """Strings; numbers and booleans become their text, objects their JSON (not reported)."""
    try:
        return pa.array(values, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return pa.array([_text(v) for v in values], type=pa.string())


def float_array(values: Sequence[Any], report: Report) -> pa.Array:
    """Doubles; numeric strings such as "1,234.50" are read (reported); booleans, NaN, infinity and
    other values become null (reported)."""
    # pyarrow reads True as 1.0 without a word: booleans take the reporting path.
    if bool not in set(map(type, values)):
        try:
            floats = pa.array(values, type=pa.float64())
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
            pass
        else:
            if pc.all(pc.is_finite(floats)).as_py() is not False:  # None: no values
                return floats
    return pa.array([_number(v, i, report) for i, v in enumerate(values)], type=pa.float64())


def int_array(values: Sequence[Any], report: Report) -> pa.Array:
    """Integers; whole floats and numeric strings are read, anything else is null (reported)."""
    # pyarrow truncates 12.5 to 12 without a word: floats take the checking path.
    if not {float, bool} & set(map(type, values)):
        try:
            return pa.array(values, type=pa.int64())
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
            pass
    out: List[Optional[int]] = []
    for i, v in enumerate(values):
        n = _number(v, i, report) if type(v) is not float else v
        if n is not None and (n != n or abs(n) >= 2**63 or n != int(n)):
            report(i, f"not a whole number, kept as null: {_short(v)}")
            n = None
        out.append(None if n is None else int(n))
    return pa.array(out, type=pa.int64())


def bool_array(values: Sequence[Any], report: Report) -> pa.Array:
    """Booleans; "true"/"false", "yes"/"no", 1/0 are read (reported), anything else is null (reported)."""
    try:
        return pa.array(values, type=pa.bool_())
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return pa.array([_bool(v, i, report) for i, v in enumerate(values)], type=pa.bool_())


def money_array(values: Sequence[Any], report: Report) -> pa.Array:
    """DECIMAL(18,2), exact for the API's 2-decimal amounts.

    A third decimal is rounded half-to-even and reported; NaN, infinity and amounts beyond
    DECIMAL(18,2) become null and are reported (the original value is kept in the report).
    """
    if not {bool, str} & set(map(type, values)):  # the usual case: checked in three Arrow calls
        try:
            floats = pa.array(values, type=pa.float64())
            money = pc.cast(floats, MONEY)  # NaN, infinity and amounts beyond DECIMAL(18,2) raise
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
            pass
        else:  # exact when every amount comes back unchanged (a third decimal would not)
            if pc.all(pc.equal(pc.cast(money, pa.float64()), floats)).as_py() is not False:
                return money
    floats = float_array(values, report)  # never NaN or infinite
    off = third_decimal(floats)
    unsafe = pc.greater(pc.abs(floats), _MONEY_MAX)
    if pc.any(pc.or_kleene(off, unsafe)).as_py():
        floats = _repair_money(floats, off, unsafe, report)
    return pc.cast(floats, MONEY)


def third_decimal(floats: pa.Array) -> pa.Array:
    """Per amount, whether it has a third decimal (more than rounding noise away from whole paise)."""
    scaled = pc.multiply(floats, 100.0)
    return pc.greater(pc.abs(pc.subtract(scaled, pc.round(scaled))), 1e-6)


def day_array(values: Sequence[Any], report: Report) -> pa.Array:
    """DATE from any documented day format; unreadable values become null (reported)."""
    return pa.array(_parse_all(values, parse_day, "date", report), type=pa.date32())


def month_array(values: Sequence[Any], report: Report) -> pa.Array:
    """DATE on the 1st from any documented month label; unreadable values become null (reported)."""
    return pa.array(_parse_all(values, parse_month, "month", report), type=pa.date32())


def timestamp_array(values: Sequence[Any], report: Report) -> pa.Array:
    """TIMESTAMP WITH TIME ZONE (UTC); unreadable values become null (reported)."""
    return pa.array(_parse_all(values, parse_timestamp, "timestamp", report), type=TIMESTAMP)


def scalar_columns(values: Sequence[Any], report: Optional[Report] = None) -> Tuple[pa.Array, pa.Array]:
    """Split free-typed metric values into (value DOUBLE, value_text VARCHAR) Arrow columns.

    Numbers go to value; booleans to value as 1/0; strings to value_text (and to value too when
    they read as a number); objects and lists to value_text as JSON. Integers beyond 64 bits and
    NaN/infinity (a `NaN` literal) go to value_text only, reported.
    """
    # The usual case, vectorised: numbers and nulls go to Arrow as they are; the few strings,
    # booleans and objects are read one by one; NaN, infinity or huge integers take the slow path.
    odd_types = set(map(type, values)) - _PLAIN_NUMBERS
    odd = list(compress(range(len(values)), map(odd_types.__contains__, map(type, values)))) if odd_types else []
    plain: Sequence[Any] = values
    texts_odd: Optional[List[Optional[str]]] = None
    if odd:
        plain, texts_odd = list(values), [None] * len(values)
        for i in odd:
            plain[i], texts_odd[i] = _odd_scalar(values[i])
    try:
        numbers = pa.array(plain, type=pa.float64())
    except (pa.ArrowInvalid, OverflowError):  # an integer beyond 64 bits
        return _scalar_columns_checked(values, report)
    if pc.all(pc.is_finite(numbers)).as_py() is False:
        return _scalar_columns_checked(values, report)
    texts = pa.array(texts_odd, type=pa.string()) if odd else pa.nulls(len(values), pa.string())
    return numbers, texts


def _odd_scalar(value: Any) -> Tuple[Optional[float], Optional[str]]:
    """(value, value_text) of a metric value that is not a plain number or null."""
    if type(value) is bool:
        return (1.0 if value else 0.0), None
    if type(value) is str:
        return _float_or_none(value), value
    return None, to_json(value)


def _scalar_columns_checked(values: Sequence[Any], report: Optional[Report]) -> Tuple[pa.Array, pa.Array]:
    """scalar_columns value by value, reporting what cannot be a number (NaN, huge integers)."""
    numbers_list: List[Optional[float]] = []
    texts: List[Optional[str]] = []
    for i, v in enumerate(values):
        t = type(v)
        if t is float:
            if v - v == 0.0:  # finite
                numbers_list.append(v)
                texts.append(None)
            else:
                numbers_list.append(None)
                texts.append(str(v))
                if report is not None:
                    report(i, f"not a finite number, kept as text: {v!r}")
        elif t is int:
            if -_INT64 <= v < _INT64:
                numbers_list.append(v)
                texts.append(None)
            else:  # beyond what Arrow converts: keep the digits as text
                numbers_list.append(None)
                texts.append(str(v))
                if report is not None:
                    report(i, f"integer beyond 64 bits, kept as text: {_short(v)}")
        elif v is None:
            numbers_list.append(None)
            texts.append(None)
        else:
            number, text = _odd_scalar(v)
            numbers_list.append(number)
            texts.append(text)
    return pa.array(numbers_list, type=pa.float64()), pa.array(texts, type=pa.string())


CONVERTERS = {
    pa.string(): str_array,
    pa.float64(): float_array,
    pa.int64(): int_array,
    pa.bool_(): bool_array,
    MONEY: money_array,
    pa.date32(): day_array,
    TIMESTAMP: timestamp_array,
}


def parse_distinct(values: Sequence[Any], parse: Callable[[Any], Any]) -> list:
    """Every value parsed, each distinct one once (dates and month labels repeat a lot within a
    document; the rest are looked up in C). Raises what `parse` raises, TypeError when unhashable."""
    parsed = {v: parse(v) for v in dict.fromkeys(values)}
    return list(map(parsed.__getitem__, values))


def _parse_all(values: Sequence[Any], parse: Callable[[Any], Any], what: str, report: Report) -> list:
    try:
        return parse_distinct(values, parse)
    except (ValueError, TypeError):  # unreadable or unhashable values: read one by one, reported
        return _parse_each(values, parse, what, report)


def _parse_each(values: Sequence[Any], parse: Callable[[Any], Any], what: str, report: Report) -> list:
    parsed: dict = {}
    out = []
    for i, v in enumerate(values):
        try:
            out.append(parsed[v])
            continue
        except KeyError:
            pass
        except TypeError:  # unhashable junk (a list, an object)
            report(i, f"unreadable {what}: {_short(v)}")
            out.append(None)
            continue
        try:
            parsed[v] = parse(v)
        except (ValueError, TypeError):
            report(i, f"unreadable {what}: {_short(v)}")
            out.append(None)
            continue
        out.append(parsed[v])
    return out


def _repair_money(floats: pa.Array, off: pa.Array, unsafe: pa.Array, report: Report) -> pa.Array:
    values = floats.to_pylist()
    for i, (is_off, is_unsafe) in enumerate(zip(off.to_pylist(), unsafe.to_pylist())):
        if is_unsafe:
            report(i, f"amount out of range, kept as null: {values[i]!r}")
            values[i] = None
        elif is_off:
            report(i, f"more than 2 decimals, rounded: {values[i]!r}")
    return pa.array(values, type=pa.float64())


def _number(value: Any, index: int, report: Report) -> Optional[float]:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        report(index, f"boolean where a number was expected, kept as null: {value!r}")
        return None
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:
            report(index, f"number too large, kept as null: {_short(value)}")
            return None
        if number - number != 0.0:  # NaN or infinity (a `NaN` literal in the document)
            report(index, f"not a finite number, kept as null: {value!r}")
            return None
        return number
    if isinstance(value, str):
        parsed = _float_or_none(value.replace(",", "").replace("\u20b9", "").strip())
        if parsed is not None:
            report(index, f"number sent as text, read as {parsed!r}: {_short(value)}")
            return parsed
    report(index, f"not a number, kept as null: {_short(value)}")
    return None


def _bool(value: Any, index: int, report: Report) -> Optional[bool]:
    if value is None or isinstance(value, bool):
        return value
    if value == "":
        return None
    lowered = str(value).strip().lower() if isinstance(value, (str, int, float)) else None
    for result, spellings in ((True, ("true", "1", "yes", "1.0")), (False, ("false", "0", "no", "0.0"))):
        if lowered in spellings:
            report(index, f"boolean sent as {type(value).__name__}, read as {result}: {_short(value)}")
            return result
    report(index, f"not a boolean, kept as null: {_short(value)}")
    return None


def _float_or_none(text: str) -> Optional[float]:
    try:
        number = float(text)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def _text(value: Any) -> Optional[str]:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return to_json(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _short(value: Any) -> str:
    try:
        text = repr(value)
    except RecursionError:
        text = to_json(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _deep_json(value: Any) -> str:
    """JSON text of a value nested deeper than orjson (or the interpreter's recursion) allows."""
    out: List[str] = []
    stack: List[Any] = [value]
    close = object()  # markers: (close, "]") ends a list, (close, "}") an object
    while stack:
        item = stack.pop()
        if type(item) is tuple and len(item) == 2 and item[0] is close:
            out.append(item[1])
        elif isinstance(item, list):
            out.append("[")
            stack.append((close, "]"))
            for i in range(len(item) - 1, -1, -1):
                stack.append(item[i])
                if i:
                    stack.append((close, ","))
        elif isinstance(item, dict):
            out.append("{")
            stack.append((close, "}"))
            keys = list(item)
            for i in range(len(keys) - 1, -1, -1):
                stack.append(item[keys[i]])
                stack.append((close, json.dumps(str(keys[i]), ensure_ascii=False) + ":"))
                if i:
                    stack.append((close, ","))
        else:
            out.append(orjson.dumps(item, default=str).decode())
    return "".join(out)
