"""Transaction-like lists: transactions, salary, lender, self/sister, bounced, top 5, recurring."""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

from .builder import TableSet

# Read from the item itself.
_DIRECT = ("hash", "date", "transaction_type", "amount", "balance", "transaction_note", "chq_num", "category")
# Inside `metadata {...}` in transactions, at the top level in lender/self_and_sister/bounced lists.
_ENRICHED = ("transaction_channel", "description", "merchant_category", "unclean_merchant")
_SALARY = ("employer_name", "salary_month")
_KNOWN_KEYS = frozenset(_DIRECT + _ENRICHED + _SALARY + ("metadata", "account_id"))
_KNOWN_METADATA = frozenset(_ENRICHED)
_NO_METADATA: Dict[str, Any] = {}  # read only
_NULL_OR_DICT = {type(None), dict}
_GROUP_FIELDS = ("transaction_channel", "clean_transaction_note", "median", "start_date", "end_date")
_GROUP_COLUMNS = ("direction", "group_seq", *_GROUP_FIELDS, "transaction_count")
_KNOWN_GROUP_KEYS = frozenset(_GROUP_FIELDS + ("account_id", "transactions"))


def transaction_list(tables: TableSet, account_id: str, items: List[Any], path: str, table: str) -> None:
    """A plain list of transactions into `table`, `seq` being the position in the list."""
    columns, _ = transaction_columns(tables, account_id, items, path)
    tables.add(table, columns, account_id)


def salary_transactions(tables: TableSet, account_id: str, items: List[Any], path: str) -> None:
    """The salary list: transaction columns plus employer_name and salary_month (a month label)."""
    columns, rows = transaction_columns(tables, account_id, items, path)
    columns["employer_name"] = [t.get("employer_name") for t in rows]
    columns["salary_month"] = tables.months([t.get("salary_month") for t in rows], account_id, f"{path}.salary_month")
    tables.add("salary_transactions", columns, account_id)


def top_credits_debits(tables: TableSet, account_id: str, groups: List[Any], path: str) -> None:
    """`[{type, data: [{month: Mon-YY, data: [txn]}]}]`, one row per listed transaction, rank from 1."""
    types: List[Any] = []
    labels: List[Any] = []
    ranks: List[int] = []
    items: List[Any] = []
    for g, group in enumerate(groups):
        if not _is_dict(tables, account_id, f"{path}[{g}]", group):
            continue
        for m, month in enumerate(group.get("data") or []):
            if not _is_dict(tables, account_id, f"{path}[{g}].data[{m}]", month):
                continue
            for r, txn in enumerate(month.get("data") or [], start=1):
                if not _is_dict(tables, account_id, f"{path}[{g}].data[{m}].data[{r - 1}]", txn):
                    continue
                types.append(group.get("type"))
                labels.append(month.get("month"))
                ranks.append(r)
                items.append(txn)
    columns, _ = transaction_columns(tables, account_id, items, path, seq=False)
    columns.update(type=types, month=tables.months(labels, account_id, f"{path}.month"), rank=ranks)
    tables.add("top_credits_debits", columns, account_id)


def recurring_transactions(tables: TableSet, account_id: str, value: Dict[str, Any], path: str) -> None:
    """`{debit_transactions: [group], credit_transactions: [group]}`; groups and their transactions."""
    groups: Dict[str, list] = {k: [] for k in _GROUP_COLUMNS}
    txns_of_groups: Dict[str, list] = {}
    for key, group_list in value.items():
        direction = key.replace("_transactions", "")
        if direction not in ("debit", "credit") or not isinstance(group_list, list):
            tables.unknown(account_id, f"{path}.{key}", group_list)
            continue
        for g, group in enumerate(group_list):
            gpath = f"{path}.{key}[{g}]"
            if not _is_dict(tables, account_id, gpath, group):
                continue
            txns = group.get("transactions") or []
            for name in _GROUP_FIELDS:
                groups[name].append(group.get(name))
            groups["direction"].append(direction)
            groups["group_seq"].append(g)
            groups["transaction_count"].append(len(txns) if isinstance(txns, list) else None)
            for extra in group.keys() - _KNOWN_GROUP_KEYS:
                tables.unknown(account_id, f"{gpath}.{extra}", group[extra])
            if not isinstance(txns, list):
                tables.unknown(account_id, f"{gpath}.transactions", txns)
                continue
            columns, rows = transaction_columns(tables, account_id, txns, f"{gpath}.transactions")
            columns.update(direction=[direction] * len(rows), group_seq=[g] * len(rows))
            for name, column in columns.items():
                txns_of_groups.setdefault(name, []).extend(column)
    tables.add("recurring_transaction_groups", groups, account_id)
    if txns_of_groups:
        tables.add("recurring_transactions", txns_of_groups, account_id)


def transaction_columns(tables: TableSet, account_id: str, items: List[Any], path: str, seq: bool = True
                        ) -> Tuple[Dict[str, list], List[dict]]:
    """Column lists for the transaction columns of `items`; non-dict items are kept as unknown.

    Returns:
        (the columns, the items that are objects: a caller reads its extra fields from them).
    """
    rows = [t for t in items if type(t) is dict]
    if len(rows) != len(items):
        for i, t in enumerate(items):
            if type(t) is not dict:
                tables.issue(account_id, path, "not an object, kept in unknown_fields", f"item {i}")
                tables.unknown(account_id, f"{path}[{i}]", t)
    columns: Dict[str, list] = {k: [t.get(k) for t in rows] for k in _DIRECT}
    metadata = [t.get("metadata") for t in rows]
    # metadata that is not an object gives no field: the item's own one is read
    objects = [m if type(m) is dict else _NO_METADATA for m in metadata]
    for k in _ENRICHED:
        columns[k] = [v if (v := m.get(k)) is not None else t.get(k) for t, m in zip(rows, objects)]
    if seq:
        columns["seq"] = list(range(len(items))) if len(rows) == len(items) else [
            i for i, t in enumerate(items) if type(t) is dict]
    if not (all(map(_KNOWN_KEYS.issuperset, rows)) and _known_metadata(metadata)):
        _keep_unknown_keys(tables, account_id, rows, metadata, path)
    return columns, rows


def _known_metadata(metadata: List[Any]) -> bool:
    """Whether every metadata is null or an object of known keys (checked in C: map, not a loop)."""
    return set(map(type, metadata)) <= _NULL_OR_DICT and all(map(_KNOWN_METADATA.issuperset, filter(None, metadata)))


def _keep_unknown_keys(tables: TableSet, account_id: str, rows: List[dict], metadata: List[Any], path: str) -> None:
    for i, t in enumerate(rows):
        if not t.keys() <= _KNOWN_KEYS:
            for extra in t.keys() - _KNOWN_KEYS:
                tables.unknown(account_id, f"{path}[{i}].{extra}", t[extra])
        m = metadata[i]
        if m is not None and (type(m) is not dict or not m.keys() <= _KNOWN_METADATA):
            tables.unknown(account_id, f"{path}[{i}].metadata", m)


def _is_dict(tables: TableSet, account_id: str, path: str, value: Any) -> bool:
    if type(value) is dict:
        return True
    tables.issue(account_id, path, "not an object, kept in unknown_fields")
    tables.unknown(account_id, path, value)
    return False
