"""Collect one session's rows as typed Arrow chunks per table, with the issues met on the way."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Dict, List, Mapping, Optional, Union

import pyarrow as pa

from ..tables import TABLES
from .batches import BATCHES
from .values import CONVERTERS, Report, month_array, to_json

Column = Union[List[Any], pa.Array]


class TableSet:
    """The tables of one session: add columns per table, then `tables()` gives one Arrow table each.

    The list columns of one type in one `add` are converted in one Arrow call (an Arrow call costs
    more than the few values of most columns); the lists that do not convert as sent go one by one
    to their converter, which reports what it coerces.
    """

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id
        self._session_scalar = pa.scalar(session_id, pa.string())
        self._chunks: Dict[str, List[pa.Table]] = defaultdict(list)
        self._issues: List[tuple] = []

    def add(self, table: str, columns: Mapping[str, Column], account_id: Optional[str] = None) -> None:
        """Add rows to `table`. Lists are converted with the column's type; missing columns are null.

        Args:
            table: a name from `TABLES`.
            columns: column name -> list of JSON values or an Arrow array, all of one length.
            account_id: filled into `account_id` unless the columns carry it.
        """
        spec = TABLES[table]
        lengths = {len(v) for v in columns.values()}
        if len(lengths) != 1:
            raise ValueError(f"{table}: columns of different lengths {sorted(lengths)}")
        n = lengths.pop()
        if n == 0:
            return
        converted = _batched(spec.schema, columns)
        arrays = []
        for field in spec.schema:
            name = field.name
            if name == "session_id":
                arrays.append(pa.repeat(self._session_scalar, n))
            elif name in converted:
                arrays.append(converted[name])
            elif name in columns:
                arrays.append(self._convert(table, account_id, field, columns[name]))
            elif name == "account_id" and account_id is not None:
                arrays.append(pa.repeat(pa.scalar(account_id, pa.string()), n))
            else:
                arrays.append(pa.nulls(n, type=field.type))
        self._chunks[table].append(pa.Table.from_arrays(arrays, schema=spec.schema))

    def issue(self, account_id: Optional[str], part: str, issue: str, detail: Any = None) -> None:
        """Record a value that was not read as documented (the detail keeps what was sent)."""
        text = detail if isinstance(detail, str) or detail is None else to_json(detail)
        self._issues.append((account_id, part, issue, text))

    def unknown(self, account_id: Optional[str], path: str, value: Any) -> None:
        """Keep a key the source does not know yet, as JSON."""
        self.add("unknown_fields", {"path": [path], "value_json": [to_json(value)]}, account_id)

    def months(self, values: List[Any], account_id: Optional[str], part: str) -> pa.Array:
        """Month labels (`YYYY-MM`, `Mon-YYYY`, `Mon-YY`) as DATEs on the 1st."""
        return month_array(values, self._reporter(account_id, part))

    @property
    def issues(self) -> List[tuple]:
        return list(self._issues)

    def tables(self) -> Dict[str, pa.Table]:
        """One Arrow table per table that has rows, `data_issues` included."""
        if self._issues:
            accounts, parts, issues, details = zip(*self._issues)
            self._chunks["data_issues"].append(pa.Table.from_arrays(
                [pa.array([self.session_id] * len(accounts), pa.string()), pa.array(accounts, pa.string()),
                 pa.array(range(len(accounts)), pa.int64()), pa.array(parts, pa.string()),
                 pa.array(issues, pa.string()), pa.array(details, pa.string())],
                schema=TABLES["data_issues"].schema))
            self._issues = []
        return {name: chunks[0] if len(chunks) == 1 else pa.concat_tables(chunks)
                for name, chunks in self._chunks.items() if chunks}

    def _convert(self, table: str, account_id: Optional[str], field: pa.Field, values: Column) -> pa.Array:
        if isinstance(values, (pa.Array, pa.ChunkedArray)):
            return values if values.type == field.type else values.cast(field.type)
        return CONVERTERS[field.type](values, self._reporter(account_id, f"{table}.{field.name}"))

    def _reporter(self, account_id: Optional[str], part: str) -> Report:
        def report(index: int, message: str) -> None:
            self._issues.append((account_id, part, "coerced", f"row {index}: {message}"))

        return report


def _batched(schema: pa.Schema, columns: Mapping[str, Column]) -> Dict[str, pa.Array]:
    """The list columns that convert as sent, those of one type in one batch (see `batches`).

    The arrays of a batch are views of one array (they stay within one chunk of one table).
    """
    names_by_type: Dict[pa.DataType, List[str]] = defaultdict(list)
    for field in schema:
        values = columns.get(field.name)
        if field.name != "session_id" and values is not None and not isinstance(values, (pa.Array, pa.ChunkedArray)):
            names_by_type[field.type].append(field.name)
    out: Dict[str, pa.Array] = {}
    for type_, names in names_by_type.items():
        laid_out: List[Any] = []
        for name in names:
            laid_out.extend(columns[name])
        for name, array in zip(names, BATCHES[type_](laid_out, [len(columns[name]) for name in names])):
            if array is not None:
                out[name] = array
    return out
