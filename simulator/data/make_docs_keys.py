"""Extracts the predictor and monthly-metric key lists of a documented insights sample into docs_keys.json."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

_INDEXED = re.compile(r"^(.*)_(\d+)$")


def value_kind(values: list) -> str:
    """The JSON kind a metric takes when it has a value: int, float, str, dict or none."""
    kinds = {type(v).__name__ for v in values if v is not None}
    if not kinds:
        return "none"
    for kind in ("dict", "str", "float"):
        if kind in kinds:
            return kind
    return "bool" if kinds == {"bool"} else "int"


def extract(doc: dict) -> dict:
    """Returns {monthly_metrics: [[name, kind]], predictors: [["family", base, kind] | ["single", key, value]]}."""
    data = doc["accounts"][0]["data"]
    monthly = [[name, value_kind(list(by_month.values()))] for name, by_month in data["monthly_analysis"].items()]
    predictors = data["predictors"]
    entries, seen = [], set()
    for key, value in predictors.items():
        match = _INDEXED.match(key)
        base = match.group(1) if match else None
        # A family is indexed only when all of _0.._11 exist; other trailing numbers are part of the name.
        if base is not None and all(f"{base}_{i}" in predictors for i in range(12)):
            if base not in seen:
                seen.add(base)
                entries.append(["family", base, value_kind([predictors[f"{base}_{i}"] for i in range(12)])])
            continue
        entries.append(["single", key, value])
    return {"monthly_metrics": monthly, "predictors": entries}


if __name__ == "__main__":
    source = Path(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/docs_insights.json")
    target = Path(__file__).with_name("docs_keys.json")
    target.write_text(json.dumps(extract(json.loads(source.read_text())), separators=(",", ":")) + "\n")
    print(f"wrote {target}")
