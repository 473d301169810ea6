"""Build the SQL models inside a PostgreSQL warehouse: credentials from dlt config, SQL via sqlglot."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import pyarrow as pa
import sqlglot

from sources.bankconnect.errors import ConfigError
from sources.bankconnect.tables import TABLES

from .descriptions import describe_models
from .models import (MODELS_SCHEMA, RAW_SCHEMA, SAMPLE_ROWS, Model, ModelError, ModelRun, ModelsResult,
                     ModelTestError, NoDataError, _build_order, _q, _rewrite_schemas, discover_models)

SUPPORTED = ("postgres",)

_PG_TYPES = {pa.string(): "varchar", pa.date32(): "date", pa.float64(): "double precision",
             pa.int64(): "bigint", pa.bool_(): "boolean"}


def build_models_on(destination: str, **kw: Any) -> ModelsResult:
    """Connect to the dlt destination `destination` (dlt config credentials) and `run_models_postgres` there."""
    if destination not in SUPPORTED:
        raise ConfigError(f"models run in DuckDB or PostgreSQL, not in destination {destination!r}")
    con = connect_postgres()
    try:
        return describe_models(con, run_models_postgres(con, **kw))  # COMMENT ON every model and column
    finally:
        con.close()


def connect_postgres() -> Any:
    """A psycopg2 connection from DESTINATION__POSTGRES__CREDENTIALS (any dlt config provider)."""
    import psycopg2
    from dlt.common.configuration.exceptions import ConfigFieldMissingException, ConfigurationException
    from dlt.common.configuration.resolve import resolve_configuration
    from dlt.destinations.impl.postgres.configuration import PostgresCredentials

    from .runtime import apply_dlt_defaults

    apply_dlt_defaults()
    try:
        credentials = resolve_configuration(PostgresCredentials(), sections=("destination", "postgres", "credentials"))
    except ConfigFieldMissingException:
        raise ConfigError("missing configuration for destination postgres: set DESTINATION__POSTGRES__CREDENTIALS "
                          "(environment or .dlt/secrets.toml)") from None
    except ConfigurationException:
        raise ConfigError("DESTINATION__POSTGRES__CREDENTIALS is not a connection string "
                          "postgresql://user:password@host:port/database") from None
    where = f"{credentials.host}:{credentials.port}/{credentials.database}"
    try:
        return psycopg2.connect(credentials.to_native_representation())
    except psycopg2.Error as exc:
        message = " ".join(str(exc).split())
        if credentials.password:
            message = message.replace(str(credentials.password), "***")
        raise ModelError(f"cannot connect to PostgreSQL at {where}: {message}") from None


def run_models_postgres(
    con: Any,
    *,
    raw_schema: str = RAW_SCHEMA,
    schema: str = MODELS_SCHEMA,
    sql_path: Optional[Path] = None,
) -> ModelsResult:
    """Build every model in PostgreSQL, as `run_models` does in DuckDB: one transaction, same tests.

    Each model's DuckDB SQL is translated by sqlglot. Existing model objects are dropped (dependents
    first) and recreated; a missing raw table or contract column is created empty. Any failure rolls
    the whole build back, so the previous build stays.
    """
    import psycopg2

    models = discover_models(sql_path)
    order = _build_order(models, None)
    result = ModelsResult(schema=schema)
    cur = con.cursor()
    try:
        # generate_series' 1000-row estimate makes tiny queries look costly enough to JIT (seconds)
        cur.execute("set local jit = off")
        existing_raw = _names(cur, "select table_name from information_schema.tables where table_schema = %s",
                              raw_schema)
        if "transactions" not in existing_raw and "sessions" not in existing_raw:
            raise NoDataError(f"no data loaded yet: run `bankconnect load --destination postgres` first "
                              f"(schema {raw_schema!r} has no transactions or sessions table)")
        for table in sorted({t for m in models.values() for t in m.raw_tables}):
            if table not in TABLES:
                raise ModelError(f"raw table {raw_schema}.{table} is not a known raw table")
            if table in existing_raw:
                result.added_raw_columns += [f"{table}.{c}" for c in _add_missing_columns(cur, raw_schema, table)]
            else:
                _create_raw_table(cur, raw_schema, table)
                result.created_raw_tables.append(table)
        cur.execute(f"create schema if not exists {_q(schema)}")
        kinds = dict(_rows(cur, "select table_name, table_type from information_schema.tables "
                                "where table_schema = %s", schema))
        for name in reversed(order):
            if name in kinds:
                cur.execute(f"drop {'view' if kinds[name] == 'VIEW' else 'table'} {_q(schema)}.{_q(name)}")
        for name in order:
            model = models[name]
            started = time.perf_counter()
            row_count = _build(cur, model, _postgres_sql(model, raw_schema, schema), schema)
            _test(cur, model, schema)
            result.models.append(ModelRun(name, model.kind, row_count, time.perf_counter() - started))
            if model.is_check:
                result.dq[name] = row_count or 0
    except psycopg2.Error as exc:
        con.rollback()
        raise ModelError(f"building the models in PostgreSQL failed: {' '.join(str(exc).split())}") from None
    except BaseException:
        con.rollback()
        raise
    con.commit()
    return result


def _postgres_sql(model: Model, raw_schema: str, schema: str) -> str:
    sql = _rewrite_schemas(model.sql, raw_schema, schema) if (raw_schema, schema) != (RAW_SCHEMA, MODELS_SCHEMA) \
        else model.sql
    try:
        return sqlglot.transpile(sql, read="duckdb", write="postgres")[0]
    except sqlglot.errors.SqlglotError as exc:
        raise ModelError(f"model {model.name} cannot be translated to PostgreSQL: {exc}") from None


def _build(cur: Any, model: Model, sql: str, schema: str) -> Optional[int]:
    import psycopg2

    target = f"{_q(schema)}.{_q(model.name)}"
    try:
        cur.execute(f"create {model.kind} {target} as\n{sql}")
    except psycopg2.Error as exc:
        raise ModelError(f"model {model.name} ({model.path}) failed to build in PostgreSQL: "
                         f"{' '.join(str(exc).split())}") from None
    if model.kind == "table":
        cur.execute(f"select count(*) from {target}")
        return cur.fetchone()[0]
    return None


def _test(cur: Any, model: Model, schema: str) -> None:
    target = f"{_q(schema)}.{_q(model.name)}"
    rules = []
    if model.grain:
        keys = ", ".join(_q(c) for c in model.grain)
        rules.append((f"grain({', '.join(model.grain)})",
                      f"select {keys}, count(*) as row_count from {target} group by {keys} having count(*) > 1"))
    if model.not_null:
        rules.append((f"not_null({', '.join(model.not_null)})",
                      f"select * from {target} where " + " or ".join(f"{_q(c)} is null" for c in model.not_null)))
    for rule, query in rules:
        cur.execute(f"select count(*) from ({query}) as failing")
        failing = cur.fetchone()[0]
        if failing:
            cur.execute(f"{query} limit {SAMPLE_ROWS}")
            columns = [d[0] for d in cur.description]
            raise ModelTestError(model.name, rule, failing, [dict(zip(columns, r)) for r in cur.fetchall()])


def _create_raw_table(cur: Any, raw_schema: str, table: str) -> None:
    cur.execute(f"create schema if not exists {_q(raw_schema)}")
    columns = ", ".join(f"{_q(c)} {t}" for c, t in _contract_types(table).items())
    cur.execute(f"create table {_q(raw_schema)}.{_q(table)} ({columns})")


def _add_missing_columns(cur: Any, raw_schema: str, table: str) -> List[str]:
    # dlt reflects the stored columns before it alters a table, so a column added here is reused
    present = _names(cur, "select column_name from information_schema.columns "
                          "where table_schema = %s and table_name = %s", raw_schema, table)
    added = []
    for column, pg_type in _contract_types(table).items():
        if column not in present:
            cur.execute(f"alter table {_q(raw_schema)}.{_q(table)} add column {_q(column)} {pg_type}")
            added.append(column)
    return added


def _contract_types(table: str) -> Dict[str, str]:
    """The PostgreSQL type dlt gives every contract column of a raw table, in order."""
    types = {}
    for f in TABLES[table].schema:
        if pa.types.is_decimal(f.type):
            types[f.name] = f"numeric({f.type.precision},{f.type.scale})"
        elif pa.types.is_timestamp(f.type):
            types[f.name] = "timestamp with time zone"
        else:
            types[f.name] = _PG_TYPES[f.type]
    return types


def _rows(cur: Any, sql: str, *params: Any) -> List[tuple]:
    cur.execute(sql, params)
    return cur.fetchall()


def _names(cur: Any, sql: str, *params: Any) -> set:
    return {r[0] for r in _rows(cur, sql, *params)}
