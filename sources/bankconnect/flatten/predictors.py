"""predictors (one row per key) and predictors_monthly (the families indexed by month_N)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Dict, List, NamedTuple, Optional, Tuple

import pyarrow as pa
import pyarrow.compute as pc

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

    families = _indexed_families(tuple(names))
    if families is None:
        return
    labels = [value[names[p]] if p is not None else None for p in families.month_positions]
    months = tables.months(labels, account_id, f"{path}.month_N").take(families.indexes)
    numbers, texts = numbers.take(families.positions), texts.take(families.positions)
    # a month slot the account does not cover has no value and no month
    covered = pc.or_(pc.or_(pc.is_valid(numbers), pc.is_valid(texts)), pc.is_valid(months))
    tables.add("predictors_monthly", {
        "month_index": families.indexes.filter(covered), "metric": families.metrics.filter(covered),
        "month": months.filter(covered), "value": numbers.filter(covered), "value_text": texts.filter(covered),
    }, account_id)


class _Families(NamedTuple):
    """Every member of the indexed families of a predictor key set, as columns (one row per member)."""

    metrics: pa.Array  # the family name (string)
    indexes: pa.Array  # N of `name_N` (int64)
    positions: pa.Array  # where the member is among the keys
    month_positions: List[Optional[int]]  # where month_0, month_1, ... are among the keys


@lru_cache(maxsize=64)
def _indexed_families(names: Tuple[str, ...]) -> Optional[_Families]:
    """The indexed families of a key set (the same for every account of a document), or None."""
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
    if not rows:
        return None
    metrics, indexes, positions = zip(*rows)
    width = max(12, max(month_slots, default=0) + 1)
    return _Families(pa.array(metrics, pa.string()), pa.array(indexes, pa.int64()), pa.array(positions, pa.int64()),
                     [month_slots.get(i) for i in range(width)])
