"""Build the SQL models under sql/ into DuckDB: discover, order by dependency, build, test."""

from __future__ import annotations

import graphlib
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import duckdb
import sqlglot
from sqlglot import exp

from sources.bankconnect.tables import TABLES

from .descriptions import describe_models

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
    """Every model built, in build order, and the problem count of each data-quality check."""

    schema: str
    models: List[ModelRun] = field(default_factory=list)
    dq: Dict[str, int] = field(default_factory=dict)
    created_raw_tables: List[str] = field(default_factory=list)
    added_raw_columns: List[str] = field(default_factory=list)

    @property
    def checks(self) -> Dict[str, int]:
        """The same as `dq`: problem row count per data-quality check."""
        return self.dq

    @property
    def seconds(self) -> float:
        return sum(m.seconds for m in self.models)

    def model(self, name: str) -> ModelRun:
        return next(m for m in self.models if m.name == name)

    def summary(self) -> str:
        """A few human-readable lines: models built, table row counts, checks with problems."""
        tables = [m for m in self.models if m.kind == "table" and not m.name.startswith(CHECK_PREFIX)]
        lines = [f"built {len(self.models)} models in schema {self.schema} in {self.seconds:.2f}s"]
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


def run_models(
    con: duckdb.DuckDBPyConnection,
    *,
    raw_schema: str = RAW_SCHEMA,
    schema: str = MODELS_SCHEMA,
    select: Optional[Sequence[str]] = None,
    sql_path: Optional[Path] = None,
) -> ModelsResult:
    """Build the models into `schema` from the raw tables in `raw_schema`, in dependency order.

    Staging and intermediate models become views, marts and checks tables. After each model
    its `-- grain:` / `-- not_null:` assertions run; a failure raises ModelTestError and rolls
    the whole build back. Checks (`dq_*`) never fail the build: their rows are the problems.
    A raw table a model reads that was never created (no rows ever loaded) is created empty with
    the contract's columns (`sources.bankconnect.tables.TABLES`), and a contract column an
    existing raw table lacks (dlt creates no column that only ever held nulls) is added, all null.

    Args:
        con: an open DuckDB connection.
        raw_schema: the schema holding the raw tables (the models say `bankconnect`).
        schema: the schema to build into (the models say `analytics`).
        select: model names to build, each with everything it reads; None builds all.
        sql_path: another models folder (tests); default `sql_dir()`.

    Returns:
        ModelsResult with one ModelRun per model in build order and `dq` problem counts.
    """
    models = discover_models(sql_path)
    order = _build_order(models, select)
    rewrite = raw_schema != RAW_SCHEMA or schema != MODELS_SCHEMA
    result = ModelsResult(schema=schema)

    existing_raw = _tables_in(con, raw_schema)
    if "transactions" not in existing_raw and "sessions" not in existing_raw:
        raise NoDataError(
            f"no data loaded yet: run `bankconnect load` first "
            f"(schema {raw_schema!r} has no transactions or sessions table)")
    needed_raw = sorted({t for name in order for t in models[name].raw_tables})
    missing_raw = [t for t in needed_raw if t not in existing_raw]
    unknown_raw = [t for t in missing_raw if t not in TABLES]
    if unknown_raw:
        raise ModelError(f"raw table {raw_schema}.{unknown_raw[0]} does not exist and is not a known raw table")

    own_transaction = _begin(con)
    try:
        for table in needed_raw:
            if table in missing_raw:
                _create_empty_raw_table(con, raw_schema, table)
                result.created_raw_tables.append(table)
            else:
                added = _add_missing_raw_columns(con, raw_schema, table)
                result.added_raw_columns.extend(f"{table}.{c}" for c in added)
        con.execute(f"create schema if not exists {_q(schema)}")
        for name in order:
            model = models[name]
            sql = _rewrite_schemas(model.sql, raw_schema, schema) if rewrite else model.sql
            started = time.perf_counter()
            row_count = _build_one(con, model, sql, schema)
            _test(con, model, schema)
            result.models.append(ModelRun(name, model.kind, row_count, time.perf_counter() - started))
            if model.is_check:
                result.dq[name] = result.models[-1].row_count or 0
    except BaseException:
        if own_transaction:
            con.execute("rollback")
        raise
    if own_transaction:
        con.execute("commit")
    return result


def build_models(duckdb_path: str, **kw) -> ModelsResult:
    """Open the DuckDB file at `duckdb_path`, run `run_models(con, **kw)` and close it."""
    if not Path(duckdb_path).exists():
        raise NoDataError(f"no data loaded yet: run `bankconnect load` first ({duckdb_path} does not exist)")
    from .duckdb_file import connect

    con = connect(str(duckdb_path))  # the file attached under an alias: see duckdb_file
    con.execute("set enable_progress_bar = false")  # our own connection: keep the terminal for the CLI
    try:
        return describe_models(con, run_models(con, **kw))  # COMMENT ON every model and column
    finally:
        con.close()


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
    )


def _build_order(models: Dict[str, Model], select: Optional[Sequence[str]]) -> List[str]:
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


def _rewrite_schemas(sql: str, raw_schema: str, schema: str) -> str:
    """The model's SQL with `bankconnect.`/`analytics.` table references pointed at other schemas."""
    targets = {RAW_SCHEMA: raw_schema, MODELS_SCHEMA: schema}

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and node.db in targets:
            node.set("db", exp.to_identifier(targets[node.db]))
        return node

    return sqlglot.parse_one(sql, read="duckdb").transform(swap).sql(dialect="duckdb")


def _build_one(con: duckdb.DuckDBPyConnection, model: Model, sql: str, schema: str) -> Optional[int]:
    """Create or replace the model's view or table; a table's row count."""
    target = f"{_q(schema)}.{_q(model.name)}"
    existing = _object_kind(con, schema, model.name)
    if existing and existing != model.kind:
        con.execute(f"drop {existing} {target}")
    try:
        con.execute(f"create or replace {model.kind} {target} as\n{sql}")
    except duckdb.Error as e:
        raise ModelError(f"model {model.name} ({model.path}) failed to build: {e}") from e
    if model.kind == "table":
        return con.execute(f"select count(*) from {target}").fetchone()[0]
    return None


def _test(con: duckdb.DuckDBPyConnection, model: Model, schema: str) -> None:
    target = f"{_q(schema)}.{_q(model.name)}"
    if model.grain and model.not_null and _passes_both(con, model, target):
        return  # the usual case, in one evaluation of the model (a view would otherwise run twice)
    if model.grain:
        keys = ", ".join(_q(c) for c in model.grain)
        _assert_no_rows(con, model, f"grain({', '.join(model.grain)})",
                        f"select {keys}, count(*) as row_count from {target} group by {keys} having count(*) > 1")
    if model.not_null:
        nulls = " or ".join(f"{_q(c)} is null" for c in model.not_null)
        _assert_no_rows(con, model, f"not_null({', '.join(model.not_null)})",
                        f"select * from {target} where {nulls}")


def _passes_both(con: duckdb.DuckDBPyConnection, model: Model, target: str) -> bool:
    """Whether the grain and not-null tests both pass, from one pass over the model."""
    keys = ", ".join(_q(c) for c in model.grain)
    columns = ", ".join(_q(c) for c in dict.fromkeys(model.grain + model.not_null))
    nulls = " or ".join(f"{_q(c)} is null" for c in model.not_null)
    try:
        duplicates, null_rows = con.execute(
            f"with m as materialized (select {columns} from {target}) "
            f"select (select count(*) from (select {keys} from m group by {keys} having count(*) > 1)), "
            f"(select count(*) from m where {nulls})").fetchone()
    except duckdb.Error:
        return False  # the tests one by one say what is wrong
    return duplicates == 0 and null_rows == 0


def _assert_no_rows(con: duckdb.DuckDBPyConnection, model: Model, rule: str, query: str) -> None:
    try:
        failing = con.execute(f"select count(*) from ({query}) as failing").fetchone()[0]
    except duckdb.Error as e:
        raise ModelError(f"model {model.name}: test {rule} could not run: {e}") from e
    if failing:
        cursor = con.execute(f"{query} limit {SAMPLE_ROWS}")
        columns = [d[0] for d in cursor.description]
        sample = [dict(zip(columns, row)) for row in cursor.fetchall()]
        raise ModelTestError(model.name, rule, failing, sample)


def _create_empty_raw_table(con: duckdb.DuckDBPyConnection, raw_schema: str, table: str) -> None:
    # the raw contract's columns and types, no rows: what the loader would have created
    con.execute(f"create schema if not exists {_q(raw_schema)}")
    columns = ", ".join(f"{_q(c)} {t}" for c, t in _contract_types(con, table).items())
    con.execute(f"create table {_q(raw_schema)}.{_q(table)} ({columns})")


def _add_missing_raw_columns(con: duckdb.DuckDBPyConnection, raw_schema: str, table: str) -> List[str]:
    # dlt reflects the stored columns before it alters a table, so a column added here is reused
    present = {r[0] for r in con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ? and table_catalog = current_database()",
        [raw_schema, table]).fetchall()}
    added = []
    for column, duckdb_type in _contract_types(con, table).items():
        if column not in present:
            con.execute(f"alter table {_q(raw_schema)}.{_q(table)} add column {_q(column)} {duckdb_type}")
            added.append(column)
    return added


def _contract_types(con: duckdb.DuckDBPyConnection, table: str) -> Dict[str, str]:
    """The DuckDB type of every contract column of a raw table, in order."""
    view = "__bankconnect_contract"
    con.register(view, TABLES[table].schema.empty_table())
    try:
        return {row[0]: row[1] for row in con.execute(f"describe select * from {view}").fetchall()}
    finally:
        con.unregister(view)


def _tables_in(con: duckdb.DuckDBPyConnection, schema: str) -> set:
    rows = con.execute(
        "select table_name from information_schema.tables "
        "where table_schema = ? and table_catalog = current_database()", [schema]).fetchall()
    return {r[0] for r in rows}


def _object_kind(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> Optional[str]:
    row = con.execute(
        "select table_type from information_schema.tables "
        "where table_schema = ? and table_name = ? and table_catalog = current_database()",
        [schema, name]).fetchone()
    if row is None:
        return None
    return "view" if row[0] == "VIEW" else "table"


def _begin(con: duckdb.DuckDBPyConnection) -> bool:
    """Start a transaction so a failed build leaves the previous one intact; False if one is open."""
    try:
        con.execute("begin transaction")
    except duckdb.TransactionException:
        return False
    return True


def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
