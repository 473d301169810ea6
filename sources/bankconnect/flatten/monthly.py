"""monthly_analysis and aggregate_monthly_analysis: `{metric: {Mon-YYYY: value}}`, long."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from .builder import TableSet
from .values import scalar_columns


def monthly_analysis(tables: TableSet, account_id: Optional[str], value: Dict[str, Any], path: str,
                     table: str = "monthly_analysis") -> None:
    """One row per (month, metric); value DOUBLE, or value_text when the value is not a number."""
    metrics: List[str] = []
    labels: List[Any] = []
    values: List[Any] = []
    for metric, by_month in value.items():
        if not isinstance(by_month, dict):
            tables.issue(account_id, f"{path}.{metric}", "not an object of months, kept in unknown_fields")
            tables.unknown(account_id, f"{path}.{metric}", by_month)
            continue
        metrics.extend([metric] * len(by_month))
        labels.extend(by_month.keys())
        values.extend(by_month.values())
    numbers, texts = scalar_columns(values, lambda i, message: tables.issue(
        account_id, f"{path}.{metrics[i]}", "coerced", f"{labels[i]}: {message}"))
    columns = {"metric": metrics, "month": tables.months(labels, account_id, f"{path}.month"),
               "value": numbers, "value_text": texts}
    tables.add(table, columns, account_id)
