"""Collect one session's rows as typed Arrow chunks per table, with the issues met on the way."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

import pyarrow as pa

from ..tables import TABLES
from .batches import BATCHES
from .values import CONVERTERS, Report, month_array, to_json

Column = Union[List[Any], pa.Array]


class _Part(NamedTuple):
    """Rows added to one table, converted to Arrow when the tables (or the issues) are asked for."""

    table: str
    account_id: Optional[str]
    columns: Mapping[str, Column]
    rows: int
    reports: List[tuple]  # what converting it coerced; it holds the place of the add among the issues


class TableSet:
    """The tables of one session: add columns per table, then `tables()` gives one Arrow table each.

    Lists are converted all at once, a type at a time (an Arrow call costs more than the few values
    of most columns): the chunks, the values and the issues, in their order, are those of
    converting each `add` on the spot.
    """

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id
        self._parts: List[_Part] = []
        self._chunks: Dict[str, List[pa.Table]] = {}
        self._issues: List[Any] = []  # issue tuples, and the reports list of every part added

    def add(self, table: str, columns: Mapping[str, Column], account_id: Optional[str] = None) -> None:
        """Add rows to `table`. Lists are converted with the column's type; missing columns are null.

        Args:
            table: a name from `TABLES`.
            columns: column name -> list of JSON values or an Arrow array, all of one length; the
                lists are read when the tables are asked for, so they must not change after this.
            account_id: filled into `account_id` unless the columns carry it.
        """
        if table not in TABLES:
            raise KeyError(table)
        lengths = {len(v) for v in columns.values()}
        if len(lengths) != 1:
            raise ValueError(f"{table}: columns of different lengths {sorted(lengths)}")
        n = lengths.pop()
        if n == 0:
            return
        part = _Part(table, account_id, columns, n, [])
        self._parts.append(part)
        self._issues.append(part.reports)
        self._chunks.setdefault(table, [])  # a table's place among the tables: that of its first rows

    def issue(self, account_id: Optional[str], part: str, issue: str, detail: Any = None) -> None:
        """Record a value that was not read as documented (the detail keeps what was sent)."""
        text = detail if isinstance(detail, str) or detail is None else to_json(detail)
        self._issues.append((account_id, part, issue, text))

    def unknown(self, account_id: Optional[str], path: str, value: Any) -> None:
        """Keep a key the source does not know yet, as JSON."""
        self.add("unknown_fields", {"path": [path], "value_json": [to_json(value)]}, account_id)

    def months(self, values: List[Any], account_id: Optional[str], part: str) -> pa.Array:
        """Month labels (`YYYY-MM`, `Mon-YYYY`, `Mon-YY`) as DATEs on the 1st."""
        return month_array(values, _reporter(self._issues, account_id, part))

    @property
    def issues(self) -> List[tuple]:
        self._convert()
        return list(self._issues)

    def tables(self) -> Dict[str, pa.Table]:
        """One Arrow table per table that has rows, `data_issues` included.

        Raises:
            what converting the first unconvertible column raises (as its `add` would have).
        """
        self._convert()
        if self._issues:
            accounts, parts, issues, details = zip(*self._issues)
            self._chunks.setdefault("data_issues", []).append(pa.Table.from_arrays(
                [pa.array([self.session_id] * len(accounts), pa.string()), pa.array(accounts, pa.string()),
                 pa.array(range(len(accounts)), pa.int64()), pa.array(parts, pa.string()),
                 pa.array(issues, pa.string()), pa.array(details, pa.string())],
                schema=TABLES["data_issues"].schema))
            self._issues = []
        return {name: chunks[0] if len(chunks) == 1 else pa.concat_tables(chunks)
                for name, chunks in self._chunks.items() if chunks}

    def _convert(self) -> None:
        """The parts added so far into chunks; their reports take their places among the issues."""
        parts, self._parts = self._parts, []
        for part, arrays in zip(parts, _part_arrays(parts, self.session_id)):
            self._chunks[part.table].append(pa.Table.from_arrays(arrays, schema=TABLES[part.table].schema))
        self._issues[:] = [i for item in self._issues for i in (item if type(item) is list else (item,))]


def _part_arrays(parts: List[_Part], session_id: str) -> List[List[pa.Array]]:
    """Every part's arrays in schema order: the lists of one type in one table converted in one batch
    (a batch's arrays are views of one array: only columns of one table share it), the lists a batch
    leaves (and Arrow columns of another type) one by one, in the order adding them met them."""
    arrays = _given_arrays(parts, session_id)
    lists: Dict[Tuple[str, pa.DataType], List[Tuple[int, int]]] = defaultdict(list)  # -> (part, field)
    alone: List[Tuple[int, int]] = []
    for p, part in enumerate(parts):
        for f, field in enumerate(TABLES[part.table].schema):
            if arrays[p][f] is None:
                values = part.columns[field.name]
                arrow = isinstance(values, (pa.Array, pa.ChunkedArray))
                (alone if arrow else lists[part.table, field.type]).append((p, f))
    for (table, type_), places in lists.items():
        values, lengths = [], []
        for p, f in places:
            column = parts[p].columns[TABLES[table].schema[f].name]
            values.extend(column)
            lengths.append(len(column))
        batch = BATCHES[type_](values, lengths)
        for place, array in zip(places, batch):
            if array is None:
                alone.append(place)
            else:
                arrays[place[0]][place[1]] = array
    for p, f in sorted(alone):
        part, field = parts[p], TABLES[parts[p].table].schema[f]
        arrays[p][f] = _convert(part.columns[field.name], field, part.account_id, f"{part.table}.{field.name}",
                                part.reports)
    return arrays


def _given_arrays(parts: List[_Part], session_id: str) -> List[List[Optional[pa.Array]]]:
    """The arrays of every part known without converting: ids, nulls, Arrow columns of the column's
    type; None where a column waits for conversion."""
    ids = _repeated([(session_id, p.rows) for p in parts] + [(p.account_id, p.rows) for p in parts])
    out = []
    for part in parts:
        row: List[Optional[pa.Array]] = []
        for field in TABLES[part.table].schema:
            name, values = field.name, part.columns.get(field.name)
            if name == "session_id":
                row.append(ids[session_id].slice(0, part.rows))
            elif name in part.columns:
                given = isinstance(values, (pa.Array, pa.ChunkedArray)) and values.type == field.type
                row.append(values if given else None)
            elif name == "account_id" and part.account_id is not None:
                row.append(ids[part.account_id].slice(0, part.rows))
            else:
                row.append(pa.nulls(part.rows, type=field.type))
        out.append(row)
    return out


def _repeated(texts: Sequence[Tuple[Optional[str], int]]) -> Dict[str, pa.Array]:
    """Each text repeated as often as its longest use asks (an id column is a slice of it)."""
    longest: Dict[str, int] = {}
    for text, n in texts:
        if text is not None:
            longest[text] = max(longest.get(text, 0), n)
    return {text: pa.repeat(pa.scalar(text, pa.string()), n) for text, n in longest.items()}


def _convert(values: Column, field: pa.Field, account_id: Optional[str], part: str, reports: List[Any]) -> pa.Array:
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values if values.type == field.type else values.cast(field.type)
    return CONVERTERS[field.type](values, _reporter(reports, account_id, part))


def _reporter(issues: List[Any], account_id: Optional[str], part: str) -> Report:
    def report(index: int, message: str) -> None:
        issues.append((account_id, part, "coerced", f"row {index}: {message}"))

    return report
