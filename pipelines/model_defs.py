"""What a model is: discover the .sql files under sql/, read their assertions, order them by dependency."""

from __future__ import annotations

import graphlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import sqlglot
from sqlglot import exp

# The schema names the .sql files are written against; the runner rewrites them when asked for others.
RAW_SCHEMA = "bankconnect"
MODELS_SCHEMA = "analytics"

# Folder under sql/ -> how its models are materialised; the order is the build order within a level.
LAYERS: Dict[str, str] = {
    "staging": "view",
    "intermediate": "view",
    "marts": "table",
    "checks": "table",
}
CHECK_PREFIX = "dq_"
SAMPLE_ROWS = 5

# `-- grain: a, b` and `-- not_null: a, b` in a model's leading comment block.
_ASSERTION = re.compile(r"^--\s*(grain|not_null)\s*:\s*(.+?)\s*$")


class ModelError(Exception):
    """A model could not be built: bad SQL, an unknown reference, a cycle, missing data."""


class NoDataError(ModelError):
    """The raw schema holds nothing to model yet."""


class ModelTestError(ModelError):
    """A model's own grain or not-null assertion failed; the build is rolled back."""

    def __init__(self, model: str, rule: str, failing_rows: int, sample: List[dict]):
        self.model = model
        self.rule = rule
        self.failing_rows = failing_rows
        self.sample = sample
        shown = "\n".join(f"  {row}" for row in sample)
        super().__init__(f"model {model}: test {rule} failed on {failing_rows} row(s), e.g.\n{shown}")


@dataclass(frozen=True)
class Model:
    """One .sql file: its name (file stem), layer, how it is built and what it reads."""

    name: str
    path: Path
    layer: str
    kind: str
    sql: str
    depends_on: Tuple[str, ...]
    raw_tables: Tuple[str, ...]
    grain: Tuple[str, ...] = ()
    not_null: Tuple[str, ...] = ()
    tree: Optional[exp.Expression] = field(default=None, compare=False, repr=False)  # the SQL parsed once

    @property
    def is_check(self) -> bool:
        return self.name.startswith(CHECK_PREFIX)


@dataclass
class ModelRun:
    """How building one model went: row_count for tables, seconds including its tests."""

    name: str
    kind: str
    row_count: Optional[int]
    seconds: float


@dataclass
class ModelsResult:
    """Every model built, in build order, and the problem count of each data-quality check (`dq`)."""

    schema: str
    models: List[ModelRun] = field(default_factory=list)
    dq: Dict[str, int] = field(default_factory=dict)
    created_raw_tables: List[str] = field(default_factory=list)
    added_raw_columns: List[str] = field(default_factory=list)
    # None: every table rebuilt from scratch; else the number of sessions whose rows were rebuilt
    changed_sessions: Optional[int] = None

    @property
    def seconds(self) -> float:
        return sum(m.seconds for m in self.models)

    def model(self, name: str) -> ModelRun:
        return next(m for m in self.models if m.name == name)

    def summary(self) -> str:
        """A few human-readable lines: models built, table row counts, checks with problems."""
        tables = [m for m in self.models if m.kind == "table" and not m.name.startswith(CHECK_PREFIX)]
        how = "" if self.changed_sessions is None else f" (incremental: {self.changed_sessions} changed session(s))"
        lines = [f"built {len(self.models)} models in schema {self.schema} in {self.seconds:.2f}s{how}"]
        lines += [f"  {m.name}: {m.row_count} rows" for m in tables]
        problems = {name: n for name, n in self.dq.items() if n}
        lines.append("data-quality checks: " + (
            ", ".join(f"{name} {n}" for name, n in problems.items()) if problems else "no problems"))
        return "\n".join(lines)


def sql_dir() -> Path:
    """The folder holding the model .sql files (the `sql` package: the repository's sql/)."""
    import sql

    return Path(sql.__file__).resolve().parent


def discover_models(path: Optional[Path] = None) -> Dict[str, Model]:
    """Read every `<layer>/<name>.sql` under `path` (default `sql_dir()`).

    Returns:
        Models by name, unordered. Raises ModelError on an unknown layer folder, a duplicate
        name, unparsable SQL or a reference to a model that does not exist.
    """
    root = Path(path) if path is not None else sql_dir()
    if not root.is_dir():
        raise ModelError(f"no SQL models folder at {root}")
    models: Dict[str, Model] = {}
    for file in sorted(root.rglob("*.sql")):
        model = _read_model(root, file)
        if model.name in models:
            raise ModelError(f"two models named {model.name}: {models[model.name].path} and {file}")
        models[model.name] = model
    for model in models.values():
        unknown = [d for d in model.depends_on if d not in models]
        if unknown:
            raise ModelError(f"model {model.name} reads {MODELS_SCHEMA}.{unknown[0]}, which is no model")
    return models


# --- helpers ---------------------------------------------------------------------------------


def _read_model(root: Path, file: Path) -> Model:
    relative = file.relative_to(root)
    layer = relative.parts[0] if len(relative.parts) > 1 else ""
    if layer not in LAYERS:
        raise ModelError(f"{file}: models live in one of {', '.join(LAYERS)}/, not {layer or 'the top level'}")
    text = file.read_text(encoding="utf-8")
    sql = text.strip().rstrip(";").strip()
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError as e:
        raise ModelError(f"{file}: cannot parse SQL: {e}") from e
    depends_on, raw_tables = set(), set()
    for table in tree.find_all(exp.Table):
        if table.db == MODELS_SCHEMA:
            depends_on.add(table.name)
        elif table.db == RAW_SCHEMA:
            raw_tables.add(table.name)
    assertions: Dict[str, Tuple[str, ...]] = {}
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        match = _ASSERTION.match(line)
        if match:
            assertions[match.group(1)] = tuple(c.strip() for c in match.group(2).split(",") if c.strip())
    return Model(
        name=file.stem,
        path=file,
        layer=layer,
        kind=LAYERS[layer],
        sql=sql,
        depends_on=tuple(sorted(depends_on - {file.stem})),
        raw_tables=tuple(sorted(raw_tables)),
        grain=assertions.get("grain", ()),
        not_null=assertions.get("not_null", ()),
        tree=tree,
    )


def build_order(models: Dict[str, Model], select: Optional[Sequence[str]]) -> List[str]:
    wanted = set(models)
    if select is not None:
        unknown = [s for s in select if s not in models]
        if unknown:
            raise ModelError(f"no model named {unknown[0]}")
        wanted = set()
        stack = list(select)
        while stack:  # a selected model is built with everything it reads
            name = stack.pop()
            if name not in wanted:
                wanted.add(name)
                stack.extend(models[name].depends_on)
    layer_rank = {layer: i for i, layer in enumerate(LAYERS)}
    sorter = graphlib.TopologicalSorter({n: models[n].depends_on for n in wanted})
    try:
        sorter.prepare()
    except graphlib.CycleError as e:
        raise ModelError(f"models reference each other in a cycle: {' -> '.join(e.args[1])}") from e
    # one model at a time, earliest layer first, so the build reads staging, intermediate, marts, checks
    order: List[str] = []
    ready: List[str] = []
    while sorter.is_active():
        ready.extend(sorter.get_ready())
        ready.sort(key=lambda n: (layer_rank[models[n].layer], n))
        order.append(ready.pop(0))
        sorter.done(order[-1])
    return order


def rewrite_schemas(tree: exp.Expression, raw_schema: str, schema: str, dialect: str = "duckdb") -> str:
    """A model's parsed SQL with `bankconnect.`/`analytics.` table references pointed at other schemas."""
    targets = {RAW_SCHEMA: raw_schema, MODELS_SCHEMA: schema}

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and node.db in targets:
            node.set("db", exp.to_identifier(targets[node.db]))
        return node

    return tree.transform(swap).sql(dialect=dialect)


def quote(identifier: str) -> str:
    """A double-quoted SQL identifier (DuckDB and PostgreSQL alike)."""
    return '"' + identifier.replace('"', '""') + '"'
