"""Open a DuckDB file for dlt and for our SQL, also when its name collides with one of our schemas.

DuckDB names a file's catalog after the file (`bank.duckdb` -> catalog `bank`). The default file
`bank.duckdb` opens plainly: `bankconnect.transactions` and `analytics.account_monthly` work in any
DuckDB client. A file named like a schema (`bankconnect.duckdb`, `analytics.duckdb`) makes those
names ambiguous ("Binder Error: Ambiguous reference"); for such a file only, our connections
attach it under another alias and dlt's DuckDB client names every table catalog.schema.table.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

from sources.bankconnect.settings import RAW_SCHEMA

ALIAS = "bankconnect_file"
DUCKDB_MEMORY_LIMIT = "256MB"
SCHEMAS = ("bankconnect", "analytics")


def collides(path: str) -> bool:
    """Whether DuckDB would name the file's catalog like one of our schemas (`bankconnect.duckdb`)."""
    return Path(str(path)).stem.lower() in SCHEMAS


def collision_warning(path: str) -> Optional[str]:
    """One line telling the user what plain DuckDB clients will hit with this file name, or None."""
    if not collides(path):
        return None
    name = Path(str(path)).name
    return (f"warning: in {name}, plain DuckDB clients (CLI, Python, DBeaver) find `{Path(str(path)).stem}.<table>` "
            f"ambiguous (DuckDB names the catalog after the file) and need ATTACH '{name}' AS db; USE db; first; "
            f"use another file name instead, e.g. --duckdb bank.duckdb")


def warn_if_collides(path: str, destination: Optional[str] = None) -> None:
    """Print `collision_warning` to stderr when loading into a colliding DuckDB file."""
    message = collision_warning(path) if destination in (None, "duckdb") else None
    if message:
        print(message, file=sys.stderr)


def connect(path: str, read_only: bool = False) -> Any:
    """A DuckDB connection on the file in which `bankconnect.x` and `analytics.x` name our schemas.

    A file named like a schema is attached as `bankconnect_file` and made the default catalog.

    Raises:
        ConfigError: `read_only` and there is no such file (nothing loaded yet).
    """
    import duckdb

    from sources.bankconnect.errors import ConfigError

    file = Path(path).expanduser()
    if read_only and not file.exists():
        raise ConfigError(f"no database at {path}: run bankconnect load first")
    if not collides(path):
        return duckdb.connect(str(file), read_only=read_only)
    con = duckdb.connect()
    literal = str(file).replace("'", "''")
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
    """dlt's DuckDB destination for a file; catalog-qualified (catalog.schema.table) names if it `collides`."""
    from dlt.destinations import duckdb as duckdb_destination
    from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

    # DuckDB takes up to 80% of RAM by default; merging a large load then grows the process with
    # the data. A fixed budget (spilling to disk beyond it) keeps a run's memory flat. Loads need
    # no row order (`seq` and dates order rows): without it DuckDB inserts a file on all its threads.
    limit = os.environ.get("BANKCONNECT_DUCKDB_MEMORY_LIMIT", DUCKDB_MEMORY_LIMIT)
    credentials = DuckDbCredentials(str(path), global_config={"memory_limit": limit,
                                                              "preserve_insertion_order": False})
    options = {"credentials": credentials, "parquet_format": transient_parquet(),
               "max_parallel_load_jobs": load_jobs()}
    if not collides(path):
        return duckdb_destination(**options)

    class bankconnect_duckdb(duckdb_destination):  # noqa: N801 (dlt names factories in lower case)
        @property
        def client_class(self) -> Any:
            return _client_class()

    return bankconnect_duckdb(**options)


def load_jobs() -> int:
    """Tables dlt loads at once into the file: one more than the CPUs. DuckDB already inserts a
    file on all its threads; dlt's default of 20 at once cost a 200-session load about 1 CPU-second
    more, and 0.5 s (paired runs, 2 CPUs: 3.0-4.2 s against 2.9-3.4 s)."""
    from sources.bankconnect.workers import usable_cpus

    return usable_cpus() + 1


def transient_parquet() -> Any:
    """How dlt writes the Parquet files of a load package for DuckDB: uncompressed. They live only
    until the load has read them (deleted after), and compressing them cost the loading process
    about a third of its Parquet writing (DuckDB reads them no slower)."""
    from dlt.common.destination.configuration import ParquetFormatConfiguration

    return ParquetFormatConfiguration(compression="none")


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
