"""What the model runner needs from one database: statements, its SQL dialect, contract types, catalog, transactions."""

from __future__ import annotations

from typing import Any, Dict, List, Sequence, Tuple

import pyarrow as pa

from sources.bankconnect.tables import TABLES


class Adapter:
    """One open connection to a database the models are built in.

    A subclass gives the sqlglot `dialect`, its driver's `errors`, `cursor` (run one statement),
    `contract_types`, `object_kinds`, `columns` and the transaction calls. The models are written in
    DuckDB SQL; `translate` turns them into this dialect.
    """

    name = "database"
    dialect = "duckdb"
    errors: Tuple[type, ...] = ()
    load_command = "bankconnect load"
    # how a drop takes the views that read the dropped object along (PostgreSQL refuses the drop otherwise)
    drop_dependents = ""

    def cursor(self, sql: str, params: Sequence[Any] = ()) -> Any:
        raise NotImplementedError

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.cursor(sql, params)

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> List[tuple]:
        return self.cursor(sql, params).fetchall()

    def fetch_dicts(self, sql: str) -> List[dict]:
        cursor = self.cursor(sql)
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row)) for row in cursor.fetchall()]

    def translate(self, sql: str) -> str:
        """DuckDB SQL (the models' dialect) in this database's dialect."""
        if self.dialect == "duckdb":
            return sql
        import sqlglot

        return sqlglot.transpile(sql, read="duckdb", write=self.dialect)[0]

    def contract_types(self, table: str) -> Dict[str, str]:
        """This database's type for every contract column of a raw table, in order."""
        raise NotImplementedError

    def object_kinds(self, schema: str) -> Dict[str, str]:
        """Every table and view of a schema: name -> 'table' or 'view'."""
        raise NotImplementedError

    def columns(self, schema: str, table: str) -> List[str]:
        raise NotImplementedError

    def begin(self) -> bool:
        """Start a transaction; False when the caller already holds one open (then it commits)."""
        raise NotImplementedError

    def commit(self) -> None:
        self.execute("commit")

    def rollback(self) -> None:
        self.execute("rollback")


class DuckDBAdapter(Adapter):
    """A DuckDB connection (a file attached under an alias: catalog-qualified catalog queries)."""

    name = "DuckDB"

    def __init__(self, con: Any):
        import duckdb

        self.con = con
        self.errors = (duckdb.Error,)

    def cursor(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.con.execute(sql, list(params)) if params else self.con.execute(sql)

    def contract_types(self, table: str) -> Dict[str, str]:
        view = "__bankconnect_contract"
        self.con.register(view, TABLES[table].schema.empty_table())
        try:
            return {row[0]: row[1] for row in self.fetch(f"describe select * from {view}")}
        finally:
            self.con.unregister(view)

    def object_kinds(self, schema: str) -> Dict[str, str]:
        rows = self.fetch("select table_name, table_type from information_schema.tables "
                          "where table_schema = ? and table_catalog = current_database()", [schema])
        return {name: "view" if kind == "VIEW" else "table" for name, kind in rows}

    def columns(self, schema: str, table: str) -> List[str]:
        return [r[0] for r in self.fetch(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
            "and table_catalog = current_database() order by ordinal_position", [schema, table])]

    def begin(self) -> bool:
        import duckdb

        try:
            self.execute("begin transaction")
        except duckdb.TransactionException:
            return False
        return True


_PG_TYPES = {pa.string(): "varchar", pa.date32(): "date", pa.float64(): "double precision",
             pa.int64(): "bigint", pa.bool_(): "boolean"}


class PostgresAdapter(Adapter):
    """A psycopg2 connection; the models' SQL translated by sqlglot."""

    name = "PostgreSQL"
    dialect = "postgres"
    load_command = "bankconnect load --destination postgres"
    drop_dependents = " cascade"

    def __init__(self, con: Any):
        import psycopg2

        self.con = con
        self.cur = con.cursor()
        self.errors = (psycopg2.Error,)

    def cursor(self, sql: str, params: Sequence[Any] = ()) -> Any:
        self.cur.execute(sql, tuple(params))
        return self.cur

    def contract_types(self, table: str) -> Dict[str, str]:
        """The PostgreSQL type dlt gives every contract column."""
        types = {}
        for f in TABLES[table].schema:
            if pa.types.is_decimal(f.type):
                types[f.name] = f"numeric({f.type.precision},{f.type.scale})"
            elif pa.types.is_timestamp(f.type):
                types[f.name] = "timestamp with time zone"
            else:
                types[f.name] = _PG_TYPES[f.type]
        return types

    def object_kinds(self, schema: str) -> Dict[str, str]:
        rows = self.fetch("select table_name, table_type from information_schema.tables where table_schema = %s",
                          [schema])
        return {name: "view" if kind == "VIEW" else "table" for name, kind in rows}

    def columns(self, schema: str, table: str) -> List[str]:
        return [r[0] for r in self.fetch("select column_name from information_schema.columns where table_schema = %s "
                                         "and table_name = %s order by ordinal_position", [schema, table])]

    def begin(self) -> bool:
        from psycopg2.extensions import TRANSACTION_STATUS_IDLE

        if self.con.get_transaction_status() == TRANSACTION_STATUS_IDLE:
            # one snapshot for the whole build: a load committing meanwhile is seen by the next build, not half of it
            self.execute("set transaction isolation level repeatable read")
        # generate_series' 1000-row estimate makes tiny queries look costly enough to JIT (seconds)
        self.execute("set local jit = off")
        return True

    def commit(self) -> None:
        self.con.commit()

    def rollback(self) -> None:
        self.con.rollback()
