"""The one model runner: raw-table preparation, build in dependency order, model tests, dq counts, one transaction."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import datetime as dt

import sqlglot
from sqlglot import exp

from sources.bankconnect.tables import TABLES

from . import model_builds as builds
from .model_adapters import Adapter
from .model_defs import (MODELS_SCHEMA, RAW_SCHEMA, SAMPLE_ROWS, Model, ModelError, ModelRun, ModelsResult,
                         ModelTestError, NoDataError, build_order, discover_models, quote, rewrite_schemas)


@dataclass
class Build:
    """One run of the models: where they read and write, what is built, and the result so far."""

    db: Adapter
    models: Dict[str, Model]
    order: List[str]
    raw_schema: str
    schema: str
    result: ModelsResult
    scopes: List[str] = field(default_factory=list)  # temporary tables of an incremental build

    def target(self, name: str) -> str:
        return f"{quote(self.schema)}.{quote(name)}"

    def sql(self, model: Model) -> str:
        """The model's SQL for this database and these schemas."""
        try:
            if (self.raw_schema, self.schema) != (RAW_SCHEMA, MODELS_SCHEMA):
                return rewrite_schemas(model.tree, self.raw_schema, self.schema, self.db.dialect)
            return model.sql if self.db.dialect == "duckdb" else model.tree.sql(dialect=self.db.dialect)
        except sqlglot.errors.SqlglotError as exc:
            raise ModelError(f"model {model.name} cannot be translated to {self.db.name}: {exc}") from None


def run_build(
    db: Adapter,
    *,
    raw_schema: str = RAW_SCHEMA,
    schema: str = MODELS_SCHEMA,
    select: Optional[Sequence[str]] = None,
    sql_path: Optional[Path] = None,
    full_refresh: bool = False,
) -> ModelsResult:
    """Build the models into `schema` from the raw tables in `raw_schema`, in one transaction.

    Staging and intermediate models become views, marts and checks tables. After each model its
    `-- grain:` / `-- not_null:` assertions run; a failure raises ModelTestError and rolls the whole
    build back, so the previous build stays. Checks (`dq_*`) never fail the build: their rows are
    the problems. A raw table a model reads that was never created is created empty with the
    contract's columns, and a contract column an existing raw table lacks is added, all null.

    A build of every model is incremental when it can be: the tables (marts, checks) lose and regain
    only the rows of the sessions that changed since the last build recorded in `_builds`, and the
    tests run on those rows. Everything is rebuilt on the first build, when a model's SQL changed,
    when a model's object is missing, or with `full_refresh`. Views stay as they are.

    Args:
        db: the database (an Adapter over an open connection).
        raw_schema: the schema holding the raw tables (the models say `bankconnect`).
        schema: the schema to build into (the models say `analytics`).
        select: model names to build, each with everything it reads; None builds all.
        sql_path: another models folder (tests); default `sql_dir()`.
        full_refresh: rebuild every model from scratch even when an incremental build would do.

    Returns:
        ModelsResult with one ModelRun per model in build order and `dq` problem counts.
    """
    models = discover_models(sql_path)
    build = Build(db, models, build_order(models, select), raw_schema, schema, ModelsResult(schema=schema))
    own_transaction = db.begin()
    try:
        prepare_raw_tables(build)
        db.execute(f"create schema if not exists {quote(schema)}")
        build_and_record(build, full_refresh)
    except db.errors as exc:
        if own_transaction:
            db.rollback()
        raise ModelError(f"building the models in {db.name} failed: {' '.join(str(exc).split())}") from None
    except BaseException:
        if own_transaction:
            db.rollback()
        raise
    if own_transaction:
        db.commit()
    return build.result


def prepare_raw_tables(build: Build) -> None:
    """Create the raw tables the build reads that were never loaded; add contract columns dlt did not create."""
    db, raw_schema = build.db, build.raw_schema
    existing = db.object_kinds(raw_schema)
    if "transactions" not in existing and "sessions" not in existing:
        raise NoDataError(f"no data loaded yet: run `{db.load_command}` first "
                          f"(schema {raw_schema!r} has no transactions or sessions table)")
    needed = sorted({t for name in build.order for t in build.models[name].raw_tables})
    unknown = [t for t in needed if t not in existing and t not in TABLES]
    if unknown:
        raise ModelError(f"raw table {raw_schema}.{unknown[0]} does not exist and is not a known raw table")
    for table in needed:
        target = f"{quote(raw_schema)}.{quote(table)}"
        types = db.contract_types(table)
        if table not in existing:
            # the raw contract's columns and types, no rows: what the loader would have created
            db.execute(f"create schema if not exists {quote(raw_schema)}")
            db.execute(f"create table {target} ({', '.join(f'{quote(c)} {t}' for c, t in types.items())})")
            build.result.created_raw_tables.append(table)
            continue
        # dlt creates no column that only ever held nulls; it reflects the stored columns before it
        # alters a table, so a column added here is reused
        present = set(db.columns(raw_schema, table))
        for column, column_type in types.items():
            if column not in present:
                db.execute(f"alter table {target} add column {quote(column)} {column_type}")
                build.result.added_raw_columns.append(f"{table}.{column}")


def build_and_record(build: Build, full_refresh: bool) -> None:
    """Build incrementally when the last build allows it, else everything; record a build of every model."""
    db, every_model = build.db, len(build.order) == len(build.models)
    started = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    hashes = builds.model_hashes(build.models, build.raw_schema)
    previous = builds.previous_build(db, build.schema) if every_model and not full_refresh else None
    raw_tables = sorted({t for name in build.order for t in build.models[name].raw_tables})
    record = builds.BuildRecord(started, hashes, builds.newest_load(db, build.raw_schema, raw_tables))
    if previous is not None and previous.model_hashes == hashes and objects_in_place(build):
        record.is_full_refresh = False
        record.session_count = builds.mark_changed_sessions(db, build.raw_schema, build.schema, raw_tables, previous)
        build.result.changed_sessions = record.session_count
        record.row_count = build_changes(build)
    else:
        build_everything(build)
        record.row_count = sum(m.row_count or 0 for m in build.result.models)
    if every_model:
        builds.record_build(db, build.raw_schema, build.schema, record)
    if not record.is_full_refresh:
        for scope in reversed(build.scopes):
            db.execute(f"drop table if exists {scope}")
        db.execute(f"drop table if exists {builds.CHANGED}")


def objects_in_place(build: Build) -> bool:
    """Whether every model's view or table exists as such (else an incremental build has nothing to update)."""
    kinds = build.db.object_kinds(build.schema)
    return all(kinds.get(name) == build.models[name].kind for name in build.order)


def build_everything(build: Build) -> None:
    """Drop the models' objects (dependents first) and create every model anew, testing each."""
    kinds = build.db.object_kinds(build.schema)
    for name in reversed(build.order):
        if name in kinds:
            build.db.execute(f"drop {kinds[name]} if exists {build.target(name)}{build.db.drop_dependents}")
    for name in build.order:
        model = build.models[name]
        started = time.perf_counter()
        create(build, model, model.kind, build.target(name), build.sql(model))
        row_count = count_rows(build.db, build.target(name)) if model.kind == "table" else None
        test(build.db, model, build.target(name))
        record(build, model, row_count, started)


def create(build: Build, model: Model, kind: str, target: str, sql: str) -> None:
    model_statement(build, model, f"create {kind} {target} as\n{sql}")


def model_statement(build: Build, model: Model, statement: str) -> None:
    """Run a statement that computes the model; a database error names the model and its file."""
    try:
        build.db.execute(statement)
    except build.db.errors as exc:
        raise ModelError(f"model {model.name} ({model.path}) failed to build in {build.db.name}: "
                         f"{' '.join(str(exc).split())}") from None


def record(build: Build, model: Model, row_count: Optional[int], started: float) -> None:
    build.result.models.append(ModelRun(model.name, model.kind, row_count, time.perf_counter() - started))
    if model.is_check:
        build.result.dq[model.name] = row_count or 0


def count_rows(db: Adapter, relation: str) -> int:
    return db.fetch(f"select count(*) from {relation}")[0][0]


def test(db: Adapter, model: Model, relation: str) -> None:
    """Run the model's grain and not-null assertions on `relation`; ModelTestError on the first failing."""
    rules = test_queries(model, relation)
    if not rules:
        return
    present = {d[0] for d in db.cursor(f"select * from {relation} limit 0").description}
    absent = [c for c in model.grain + model.not_null if c not in present]
    if absent:
        raise ModelError(f"model {model.name}: its tests could not run: it has no column {absent[0]}")
    if len(rules) == 2 and passes_both(db, model, relation):
        return  # the usual case, in one evaluation of the model (a view would otherwise run twice)
    for rule, query in rules:
        failing = db.fetch(db.translate(f"select count(*) from ({query}) as failing"))[0][0]
        if failing:
            sample = db.fetch_dicts(db.translate(f"{query} limit {SAMPLE_ROWS}"))
            raise ModelTestError(model.name, rule, failing, sample)


def test_queries(model: Model, relation: str) -> List[Tuple[str, str]]:
    """(rule, query returning the rows that break it) for the model's grain and not-null assertions."""
    rules = []
    if model.grain:
        keys = ", ".join(quote(c) for c in model.grain)
        rules.append((f"grain({', '.join(model.grain)})",
                      f"select {keys}, count(*) as row_count from {relation} group by {keys} having count(*) > 1"))
    if model.not_null:
        nulls = " or ".join(f"{quote(c)} is null" for c in model.not_null)
        rules.append((f"not_null({', '.join(model.not_null)})", f"select * from {relation} where {nulls}"))
    return rules


def passes_both(db: Adapter, model: Model, relation: str) -> bool:
    """Whether the grain and not-null tests both pass, from one pass over the model."""
    keys = ", ".join(quote(c) for c in model.grain)
    columns = ", ".join(quote(c) for c in dict.fromkeys(model.grain + model.not_null))
    nulls = " or ".join(f"{quote(c)} is null" for c in model.not_null)
    duplicates, null_rows = db.fetch(db.translate(
        f"with m as materialized (select {columns} from {relation}) "
        f"select (select count(*) from (select {keys} from m group by {keys} having count(*) > 1) as d), "
        f"(select count(*) from m where {nulls})"))[0]
    return duplicates == 0 and null_rows == 0


def build_changes(build: Build) -> int:
    """Rebuild the rows of the changed sessions in every table, test them; the number of rows written.

    Each model reads temporary tables that hold only the changed sessions' rows (its `scope`): of the
    raw tables and of the models before it. A table loses those sessions' rows and gets them anew
    from its scoped SQL; a view model's scope is computed once and tested in place of the view.
    """
    db, written = build.db, 0
    in_changed = f"session_id in (select session_id from {builds.CHANGED})"
    for table in sorted({t for name in build.order for t in build.models[name].raw_tables}):
        scoped_table(build, scope_name(table, raw=True),
                    f"select * from {quote(build.raw_schema)}.{quote(table)} where {in_changed}")
    for name in build.order:
        model, started, target = build.models[name], time.perf_counter(), build.target(name)
        sql = scoped_sql(build, model)
        if model.kind == "view":
            row_count = None
            scoped_table(build, scope_name(name), sql, model)
        else:
            db.execute(f"delete from {target} where {in_changed}")
            model_statement(build, model, f"insert into {target} select * from (\n{sql}\n) as changed_rows")
            scoped_table(build, scope_name(name), f"select * from {target} where {in_changed}")
            written += count_rows(db, scope_name(name))
            row_count = count_rows(db, target)
        test(db, model, scope_name(name))
        record(build, model, row_count, started)
    return written


def scope_name(name: str, raw: bool = False) -> str:
    return f"_bc_{'raw' if raw else 'model'}_{name}"


def scoped_table(build: Build, name: str, sql: str, model: Optional[Model] = None) -> None:
    """A temporary table of the changed sessions' rows: computed once, read by the models after it."""
    build.db.execute(f"drop table if exists {name}")
    if model is None:
        build.db.execute(f"create temp table {name} as {sql}")
    else:
        create(build, model, "temp table", name, sql)
    build.scopes.append(name)


def scoped_sql(build: Build, model: Model) -> str:
    """The model's SQL reading the scoped temporary tables instead of the raw tables and models."""
    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and node.db in (RAW_SCHEMA, MODELS_SCHEMA):
            scoped = exp.to_table(scope_name(node.name, raw=node.db == RAW_SCHEMA))
            scoped.set("alias", node.args.get("alias") or exp.TableAlias(this=exp.to_identifier(node.name)))
            return scoped
        return node

    try:
        # generated straight into the target dialect: a DuckDB round trip first garbles percentile_cont
        return model.tree.transform(swap).sql(dialect=build.db.dialect)
    except sqlglot.errors.SqlglotError as exc:
        raise ModelError(f"model {model.name} cannot be translated to {build.db.name}: {exc}") from None
