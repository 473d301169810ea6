"""The metric and predictor key sets of the documented insights sample (simulator/data/docs_keys.json)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Tuple

_DEFAULTS = {"int": 0, "float": 0.0, "none": None, "str": None, "bool": False}

_doc = json.loads(resources.files("simulator.data").joinpath("docs_keys.json").read_text())

# (metric, value when nothing derives it); "dict" metrics (loan_emi) default to an empty object.
MONTHLY_METRICS: Tuple[Tuple[str, object], ...] = tuple(
    (name, _DEFAULTS.get(kind)) for name, kind in _doc["monthly_metrics"]
)
DICT_METRICS = frozenset(name for name, kind in _doc["monthly_metrics"] if kind == "dict")

# In key order: ("family", base, (base_0 .. base_11), default) or ("single", key, None, sample value).
PREDICTOR_PLAN: Tuple[tuple, ...] = tuple(
    ("family", e[1], tuple(f"{e[1]}_{i}" for i in range(12)), _DEFAULTS[e[2]]) if e[0] == "family"
    else ("single", e[1], None, e[2])
    for e in _doc["predictors"]
)
del _doc
