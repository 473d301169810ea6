"""What every raw table, model and column means, written into the database as `COMMENT ON`.

Descriptions come from one place each: raw tables and columns from the table contract
(`sources.bankconnect.tables`: `Table.doc`, `column_doc`), models from their header comments (line
1 says the grain; `-- <column>: <description>` lines document columns, see sql/README.md). A model
column without its own line takes the description of the same-named column of a model it reads
(nearest first), else of a raw table it reads.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from sources.bankconnect.tables import COLUMN_DOCS, TABLES, column_doc

from .runtime import DATASET as RAW_SCHEMA

# `-- credit_amount: sum of credits (INR)` in a model's leading comment block; grain/not_null are assertions.
_COLUMN_LINE = re.compile(r"^--\s*([a-z_][a-z0-9_]*)\s*:\s*(.+?)\s*$")
_ASSERTIONS = ("grain", "not_null")


def model_header(model: Any) -> Tuple[str, Dict[str, str]]:
    """A model's description (its first comment line) and its own column descriptions."""
    lines: List[str] = []
    for line in model.sql.splitlines():
        if not line.startswith("--"):
            break
        lines.append(line)
    summary = lines[0][2:].strip() if lines else ""
    columns = {}
    for line in lines[1:]:
        match = _COLUMN_LINE.match(line)
        if match and match.group(1) not in _ASSERTIONS:
            columns[match.group(1)] = match.group(2)
    return summary, columns


def model_column_doc(models: Dict[str, Any], name: str, column: str) -> Optional[str]:
    """A model column's description: its own line, else the nearest model it reads, else a raw table it reads."""
    seen: List[str] = []  # in visiting order, so the answer never depends on set order
    queue = [name]
    while queue:  # breadth first: the nearest upstream model's meaning wins
        current = queue.pop(0)
        if current in seen or current not in models:
            continue
        seen.append(current)
        own = model_header(models[current])[1].get(column)
        if own:
            return own
        queue.extend(models[current].depends_on)
    for current in seen:
        for table in models[current].raw_tables:
            if table in TABLES and column in TABLES[table].column_names:
                return column_doc(table, column)
    return COLUMN_DOCS.get(column) if column.startswith("_dlt") else None


def raw_comments(columns: Dict[str, List[str]], schema: str = RAW_SCHEMA) -> List[Tuple[str, str, str]]:
    """(kind, qualified name, description) for the contract tables and columns present in `columns`."""
    from . import webhook_events

    out = []
    for table, names in columns.items():
        if table not in TABLES and table != webhook_events.TABLE:
            continue
        table_doc = TABLES[table].doc if table in TABLES else webhook_events.DOC
        out.append(("table", f"{_q(schema)}.{_q(table)}", table_doc))
        for column in names:
            doc = webhook_events.COLUMN_DOCS.get(column) if table == webhook_events.TABLE else None
            doc = doc or _raw_column_doc(table, column)
            if doc:
                out.append(("column", f"{_q(schema)}.{_q(table)}.{_q(column)}", doc))
    return out


def model_comments(models: Dict[str, Any], columns: Dict[str, List[str]], kinds: Dict[str, str],
                   schema: str) -> List[Tuple[str, str, str]]:
    """(kind, qualified name, description) for every built model (view or table) and its columns."""
    out = []
    for name, names in columns.items():
        if name not in models:
            continue
        out.append((kinds.get(name, "table"), f"{_q(schema)}.{_q(name)}", model_header(models[name])[0]))
        for column in names:
            doc = model_column_doc(models, name, column)
            if doc:
                out.append(("column", f"{_q(schema)}.{_q(name)}.{_q(column)}", doc))
    return out


def comment_statements(comments: Iterable[Tuple[str, str, str]]) -> List[str]:
    """`COMMENT ON <kind> <name> IS '<text>'` statements (the same SQL in DuckDB and PostgreSQL)."""
    return [f"comment on {kind} {name} is '{text.replace(chr(39), chr(39) * 2)}'" for kind, name, text in comments]


def describe_models(con: Any, result: Any) -> Any:
    """Comment every model of `result.schema`, every raw table and their columns (DuckDB or psycopg2); returns result."""
    from .model_defs import discover_models

    postgres = not hasattr(con, "sql")
    cursor = con.cursor() if postgres else con
    query = _query(cursor, postgres)
    kinds = {name: ("view" if kind.upper() == "VIEW" else "table") for name, kind in query(
        "select table_name, table_type from information_schema.tables where table_schema = ?", result.schema)}
    columns = _columns(query, result.schema)
    comments = (model_comments(discover_models(), columns, kinds, result.schema)
                + raw_comments(_columns(query, RAW_SCHEMA)))  # raw tables too: the build may have created missing ones
    # as for a load: a build that changed no model rewrote ~600 comments
    statements = comment_statements(_not_in_place(comments, query, "postgres" if postgres else "duckdb",
                                                  result.schema, RAW_SCHEMA))
    if statements and not postgres:
        cursor.execute("begin")  # one transaction: a catalog write per statement costs ~1 ms otherwise
    _execute(cursor, statements)
    if statements or postgres:  # psycopg2 opened a transaction for the catalog reads
        con.commit()
    return result


def describe_loaded_tables(pipeline: Any) -> None:
    """Comment the raw tables a pipeline loaded and their columns (SQL destinations; files have no comments).

    The load itself has succeeded when this runs: a destination refusing a comment is logged, not raised.
    """
    if pipeline.destination.destination_type.endswith(".filesystem") or not pipeline.default_schema_name:
        return
    try:
        _describe_loaded_tables(pipeline)
    except Exception as exc:  # noqa: BLE001 (e.g. a warehouse role without COMMENT rights)
        logging.getLogger(__name__).warning("could not write table descriptions: %s", " ".join(str(exc).split())[:300])


def _describe_loaded_tables(pipeline: Any) -> None:
    with pipeline.sql_client() as client:
        schema = client.dataset_name
        query = lambda sql, *params: client.execute_sql(sql.replace("?", "%s"), *params) or []  # noqa: E731
        columns = _columns(query, schema)
        # rewriting ~400 unchanged comments cost each load 0.2 s
        wanted = _not_in_place(raw_comments(columns, schema), query, pipeline.destination.destination_type, schema)
        if not wanted:
            return
        qualified = [(kind, _requalify(client, name, schema), text) for kind, name, text in wanted]
        with client.begin_transaction():
            for statement in comment_statements(qualified):
                client.execute_sql(statement)


# The comments on a schema's tables and views (column null) and columns: DuckDB's and PostgreSQL's catalogs.
_PRESENT_COMMENTS = {
    "duckdb": "select table_name, null, comment from duckdb_tables() where database_name = current_database() "
              "and schema_name = ? union all select view_name, null, comment from duckdb_views() "
              "where database_name = current_database() and schema_name = ? "
              "union all select table_name, column_name, comment from duckdb_columns() "
              "where database_name = current_database() and schema_name = ?",
    "postgres": "select c.relname, a.attname, col_description(c.oid, a.attnum) from pg_attribute as a "
                "join pg_class as c on c.oid = a.attrelid join pg_namespace as n on n.oid = c.relnamespace "
                "where n.nspname = ? and c.relkind in ('r', 'p', 'v') and a.attnum > 0 and not a.attisdropped "
                "union all select c.relname, null, obj_description(c.oid, 'pg_class') from pg_class as c "
                "join pg_namespace as n on n.oid = c.relnamespace where n.nspname = ? and c.relkind in ('r', 'p', 'v')",
}


# --- helpers ---------------------------------------------------------------------------------


def _raw_column_doc(table: str, column: str) -> Optional[str]:
    try:
        return column_doc(table, column)
    except KeyError:  # a column the contract does not know (a newer dlt's own column): left as it is
        return None


def _columns(query: Callable[..., List[tuple]], schema: str) -> Dict[str, List[str]]:
    columns: Dict[str, List[str]] = {}
    for table, column in query("select table_name, column_name from information_schema.columns "
                               "where table_schema = ? order by table_name, ordinal_position", schema):
        columns.setdefault(table, []).append(column)
    return columns


def _query(cursor: Any, postgres: bool) -> Callable[..., List[tuple]]:
    def run(sql: str, *params: Any) -> List[tuple]:
        cursor.execute(sql.replace("?", "%s") if postgres else sql, list(params))
        return cursor.fetchall()

    return run


def _execute(cursor: Any, statements: List[str]) -> None:
    for statement in statements:
        cursor.execute(statement)


def _not_in_place(comments: List[Tuple[str, str, str]], query: Callable[..., List[tuple]], destination_type: str,
                  *schemas: str) -> List[Tuple[str, str, str]]:
    """The comments (of tables in `schemas`) that are missing or differ from what the catalog has
    (all of them where the destination's catalog is unknown)."""
    sql = _PRESENT_COMMENTS.get(destination_type.rsplit(".", 1)[-1])
    if sql is None:
        return list(comments)
    present = {f"{_q(schema)}.{_q(table)}" + (f".{_q(column)}" if column else ""): text
               for schema in schemas for table, column, text in query(sql, *[schema] * sql.count("?")) if text}
    return [c for c in comments if present.get(c[1]) != c[2]]


def _requalify(client: Any, name: str, schema: str) -> str:
    """Our `"schema"."table"[."column"]` as the destination names it (DuckDB catalogs, PostgreSQL schemas)."""
    parts = name.split(".", 2)
    table = client.make_qualified_table_name(parts[1].strip('"'))
    return table if len(parts) == 2 else f"{table}.{parts[2]}"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
