"""predictors (one row per key) and predictors_monthly (the families indexed by month_N)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Dict, List, Tuple

from .builder import TableSet
from .values import scalar_columns

_INDEXED = re.compile(r"(.+)_(\d{1,2})")
# A family is indexed by month only when all of its _0.._11 (or, in older payloads, _0.._5)
# members exist: `total_of_eod_bal_on_5` or `cnt_days_eod_bal_gt_5000` are single values.
_FULL_SETS = (frozenset(range(12)), frozenset(range(6)))


def predictors(tables: TableSet, account_id: str, value: Dict[str, Any], path: str) -> None:
    """Every key into `predictors`; indexed families into `predictors_monthly` with their month."""
    names = list(value.keys())
    numbers, texts = scalar_columns(
        list(value.values()), lambda i, message: tables.issue(account_id, f"{path}.{names[i]}", "coerced", message))
    tables.add("predictors", {"name": names, "value": numbers, "value_text": texts}, account_id)

    families, month_positions = _indexed_families(tuple(names))
    if not families:
        return
    labels = [value[names[p]] if p is not None else None for p in month_positions]
    months = tables.months(labels, account_id, f"{path}.month_N").to_pylist()
    indexes: List[int] = []
    metrics: List[str] = []
    month_of_row: List[Any] = []
    row_numbers: List[Any] = []
    row_texts: List[Any] = []
    for metric, index, position in families:
        number, text, month = numbers[position], texts[position], months[index]
        if number is None and text is None and month is None:
            continue  # a month slot the account does not cover
        indexes.append(index)
        metrics.append(metric)
        month_of_row.append(month)
        row_numbers.append(number)
        row_texts.append(text)
    tables.add("predictors_monthly", {"month_index": indexes, "metric": metrics, "month": month_of_row,
                                      "value": row_numbers, "value_text": row_texts}, account_id)


@lru_cache(maxsize=64)
def _indexed_families(names: Tuple[str, ...]) -> Tuple[List[Tuple[str, int, int]], List[Any]]:
    """(metric, month_index, key position) of every indexed member, and the positions of month_0..11."""
    members: Dict[str, Dict[int, int]] = {}
    for position, name in enumerate(names):
        m = _INDEXED.fullmatch(name)
        if m:
            members.setdefault(m[1], {})[int(m[2])] = position
    month_slots = members.pop("month", {})
    rows = []
    for metric, by_index in members.items():
        indexes = set(by_index)
        full = next((s for s in _FULL_SETS if s <= indexes), None)
        if full is None:
            continue
        rows.extend((metric, i, by_index[i]) for i in sorted(full))
    width = max(12, max(month_slots, default=0) + 1)
    return rows, [month_slots.get(i) for i in range(width)]
