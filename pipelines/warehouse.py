"""Build the SQL models inside a PostgreSQL warehouse: credentials from dlt config, the one runner over PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from sources.bankconnect.errors import ConfigError

from .descriptions import describe_models
from .model_adapters import PostgresAdapter
from .model_defs import MODELS_SCHEMA, RAW_SCHEMA, ModelError, ModelsResult
from .model_runner import run_build

SUPPORTED = ("postgres",)


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
    full_refresh: bool = False,
) -> ModelsResult:
    """Build every model in PostgreSQL, as `run_models` does in DuckDB: one transaction, same tests.

    Each model's DuckDB SQL is translated by sqlglot; incremental as in DuckDB unless `full_refresh`.
    Any failure rolls the whole build back, so the previous build stays.
    """
    return run_build(PostgresAdapter(con), raw_schema=raw_schema, schema=schema, sql_path=sql_path,
                     full_refresh=full_refresh)
