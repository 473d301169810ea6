"""Open a DuckDB file so that `bankconnect.<table>` is never ambiguous, for dlt and for our SQL.

DuckDB 2 names a file's catalog after the file (`bankconnect.duckdb` -> catalog `bankconnect`), and
then cannot tell that catalog from the schema `bankconnect` in `bankconnect.transactions` (a
"Binder Error: Ambiguous reference"). The default file name and the schema name are both part of
the data contract, so: our own connections attach the file under another alias, and dlt's DuckDB
client names every table catalog.schema.table.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, List, Optional

from sources.bankconnect.settings import RAW_SCHEMA

ALIAS = "bankconnect_file"
DUCKDB_MEMORY_LIMIT = "256MB"


def connect(path: str, read_only: bool = False) -> Any:
    """A DuckDB connection whose default catalog is the file, attached as `bankconnect_file`.

    Queries can say `bankconnect.transactions` and `analytics.account_monthly` whatever the file's
    name. Other DuckDB clients can do the same: `ATTACH 'bankconnect.duckdb' AS db; USE db;`.

    Raises:
        ConfigError: `read_only` and there is no such file (nothing loaded yet).
    """
    import duckdb

    from sources.bankconnect.errors import ConfigError

    if read_only and not Path(path).expanduser().exists():
        raise ConfigError(f"no database at {path}: run bankconnect load first")

    con = duckdb.connect()
    literal = str(Path(path).expanduser()).replace("'", "''")
    con.execute(f"attach '{literal}' as {ALIAS}" + (" (read_only)" if read_only else ""))
    con.execute(f"use {ALIAS}")
    return con


def table_names(con: Any, schema: str = RAW_SCHEMA) -> List[str]:
    """Tables of a schema, dlt's own (`_dlt_*`) left out, by name."""
    return [r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = ? "
        "and table_name not like '\\_dlt%' escape '\\' order by 1", [schema]).fetchall()]


def table_counts(con: Any, schema: str = RAW_SCHEMA) -> Dict[str, int]:
    """Rows per table of a schema, dlt's own tables left out."""
    return {t: con.execute(f'select count(*) from "{schema}"."{t}"').fetchone()[0] for t in table_names(con, schema)}


def dlt_destination(path: str) -> Any:
    """dlt's DuckDB destination for a file, with fully qualified (catalog.schema.table) names."""
    from dlt.destinations import duckdb as duckdb_destination

    class bankconnect_duckdb(duckdb_destination):  # noqa: N801 (dlt names factories in lower case)
        @property
        def client_class(self) -> Any:
            return _client_class()

    from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

    # DuckDB takes up to 80% of RAM by default; merging a large load then grows the process with
    # the data. A fixed budget (spilling to disk beyond it) keeps a run's memory flat.
    limit = os.environ.get("BANKCONNECT_DUCKDB_MEMORY_LIMIT", DUCKDB_MEMORY_LIMIT)
    return bankconnect_duckdb(credentials=DuckDbCredentials(str(path), global_config={"memory_limit": limit}))


def _client_class() -> Any:
    from dlt.destinations.impl.duckdb.duck import DuckDbClient
    from dlt.destinations.impl.duckdb.sql_client import DuckDbSqlClient

    class CatalogSqlClient(DuckDbSqlClient):
        """Qualifies names with the file's catalog, as dlt's MotherDuck client does."""

        def catalog_name(self, quote: bool = True, casefold: bool = True) -> Optional[str]:
            name = Path(str(self.credentials.database)).stem
            if casefold:
                name = self.capabilities.casefold_identifier(name)
            return self.capabilities.escape_identifier(name) if quote else name

        def warn_if_catalog_equals_dataset_name(self) -> None:
            pass  # handled: names are fully qualified

    class CatalogClient(DuckDbClient):
        def __init__(self, schema: Any, config: Any, capabilities: Any) -> None:
            super().__init__(schema, config, capabilities)
            self.sql_client = CatalogSqlClient(self.sql_client.dataset_name, self.sql_client.staging_dataset_name,
                                               config.credentials, capabilities)

    return CatalogClient
