"""Where a run keeps its data and state, and the dlt settings every run uses."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from pathlib import Path
from typing import Any, Iterator, List, Optional, Sequence, Tuple
from urllib.parse import urlsplit, urlunsplit

from sources.bankconnect.settings import PIPELINE_NAME, RAW_SCHEMA as DATASET  # noqa: F401 (names live there)

DEFAULT_DATABASE = "bank.duckdb"

# dlt defaults this tool changes: no anonymous telemetry from a bank-data tool; every Arrow row
# carries its load id (stale-row cleanup relies on it); quiet logs. Users may still override
# each with the same environment variable.
_DLT_DEFAULTS = {
    "RUNTIME__DLTHUB_TELEMETRY": "false",
    "NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID": "true",
    "RUNTIME__LOG_LEVEL": "WARNING",
    # loaded files and the merge staging tables hold personal data: do not keep them around
    "LOAD__DELETE_COMPLETED_JOBS": "true",
    "LOAD__TRUNCATE_STAGING_DATASET": "true",
}


def apply_dlt_defaults() -> None:
    """Set this tool's dlt defaults unless the user set them."""
    for key, value in _DLT_DEFAULTS.items():
        os.environ.setdefault(key, value)


def state_dir(duckdb_path: str) -> Path:
    """dlt's working folder for a database: beside the file, one per database file.

    Two databases never share pipeline state, the run works from any directory, and running as
    root does not spill into /var/dlt.
    """
    db = Path(duckdb_path).expanduser().resolve()
    return db.parent / ".bankconnect" / db.name


def make_pipeline(duckdb_path: str = DEFAULT_DATABASE, destination: Optional[str] = None) -> Tuple[Any, str]:
    """The dlt pipeline for a DuckDB file (default) or a named dlt destination, and where it writes."""
    apply_dlt_defaults()
    import dlt

    from .duckdb_file import dlt_destination

    if destination in (None, "duckdb"):
        db = Path(duckdb_path).expanduser().resolve()
        db.parent.mkdir(parents=True, exist_ok=True)
        pipeline = dlt.pipeline(pipeline_name=PIPELINE_NAME, destination=dlt_destination(str(db)),
                                dataset_name=DATASET, pipelines_dir=str(state_dir(str(db))))
        return pipeline, str(db)
    pipeline = dlt.pipeline(pipeline_name=PIPELINE_NAME, destination=destination, dataset_name=DATASET,
                            pipelines_dir=str(destination_state_dir(destination)))
    _quiet_chosen_format_warning()
    return pipeline, destination


def destination_state_dir(destination: str) -> Path:
    """dlt's working folder for a named destination: one per target, never shared by two databases.

    Under DLT_DATA_DIR/pipelines when DLT_DATA_DIR is set, else ~/.bankconnect/pipelines; the folder
    is `<destination>-<hash>`, the hash of the target's non-secret address (host, port, database,
    bucket...) as dlt config resolves it, so pointing the credentials elsewhere starts fresh state.
    """
    data_dir = os.environ.get("DLT_DATA_DIR")
    base = Path(data_dir).expanduser() / "pipelines" if data_dir else Path.home() / ".bankconnect" / "pipelines"
    safe_name = re.sub(r"[^A-Za-z0-9_.-]+", "_", destination)
    return base / f"{safe_name}-{_target_hash(destination)}"


IDS_PER_STATEMENT = 500  # session ids per `in (...)` list in SQL sent through dlt's sql_client


def id_chunks(ids: Sequence[str]) -> Iterator[List[str]]:
    """Session ids in lists of at most IDS_PER_STATEMENT, for `session_id in (...)` statements."""
    ids = list(ids)
    for i in range(0, len(ids), IDS_PER_STATEMENT):
        yield ids[i:i + IDS_PER_STATEMENT]


def placeholders(values: Sequence[Any]) -> str:
    """`%s, %s, ...`, one per value (dlt's sql_client takes them on every destination)."""
    return ", ".join(["%s"] * len(values))


def can_merge(pipeline: Any) -> bool:
    """Whether the destination replaces a session's rows on reload (merge delete-insert); plain files cannot."""
    return "delete-insert" in (pipeline.destination.capabilities().supported_merge_strategies or ())


def append_only(source: Any) -> Any:
    """Every table appends: each load adds its rows, `sessions.data_load_id` names the current ones."""
    for resource in source.resources.values():
        resource.apply_hints(write_disposition="append")
    return source


def loader_file_format(pipeline: Any) -> Optional[str]:
    """Parquet (Arrow types end to end) wherever dlt loads it; INSERT statements on a PostgreSQL without ADBC.

    PostgreSQL takes Parquet through the ADBC driver (`adbc-driver-postgresql`, in the `postgres`
    extra): a binary COPY that keeps '' apart from null, numeric(18,2), dates, timestamps and bytea.
    Without the driver dlt's fallback for Arrow data (CSV COPY) would turn '' into null and cannot
    carry binary columns, so INSERT statements (slower, every value kept) are used instead.
    """
    destination = pipeline.destination
    if destination.destination_type.endswith(".postgres"):
        return "parquet" if has_postgres_adbc() else "insert_values"
    formats = destination.capabilities().supported_loader_file_formats or ()
    return "parquet" if "parquet" in formats else None


def has_postgres_adbc() -> bool:
    """Whether dlt can load Parquet into PostgreSQL here: the ADBC PostgreSQL driver is installed."""
    from dlt.destinations._adbc_jobs import has_adbc_driver
    from dlt.destinations.impl.postgres.factory import get_adbc_driver_location

    return has_adbc_driver(get_adbc_driver_location())[0]


class _ChosenFormatFilter(logging.Filter):
    """Drops dlt's per-table notice that Arrow data is converted to INSERT statements: chosen on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "native writer could not be found" not in record.getMessage()


def _quiet_chosen_format_warning() -> None:
    logger = logging.getLogger("dlt")
    if not any(isinstance(f, _ChosenFormatFilter) for f in logger.filters):
        logger.addFilter(_ChosenFormatFilter())


def missing_destination_config(exc: Any, destination: Optional[str]) -> Exception:
    """A ConfigError naming the settings dlt could not find for the destination (never their values)."""
    from sources.bankconnect.errors import ConfigError

    section = (destination or "duckdb").upper()
    keys = ", ".join(f"DESTINATION__{section}__{f.upper()}" for f in getattr(exc, "fields", ()) if f != "dataset_name")
    return ConfigError(f"missing configuration for destination {destination}: set {keys or 'its credentials'} "
                       f"(environment or .dlt/secrets.toml)")


def _target_hash(destination: str) -> str:
    """A short hash of where the destination points, from dlt config; passwords never enter it."""
    from sources.bankconnect.errors import ConfigError

    from dlt.common.destination.reference import Destination
    from dlt.common.destination.exceptions import UnknownDestinationModule

    try:
        factory = Destination.from_reference(destination)
    except UnknownDestinationModule:
        raise ConfigError(f"unknown dlt destination {destination!r} (e.g. postgres, filesystem, bigquery)") from None
    address: dict = {"type": factory.destination_type}
    try:
        config = factory.configuration(factory.spec(), accept_partial=True)
    except Exception:  # unparsable credentials: dlt reports them (without the value) when the run starts
        config = None
    credentials = getattr(config, "credentials", None)
    for key in ("host", "port", "database", "project_id"):
        value = getattr(credentials, key, None)
        if value is not None:
            address[key] = str(value)
    for key in ("bucket_url", "location"):
        value = getattr(config, key, None)
        if value:
            address[key] = _without_password(str(value))
    return hashlib.sha256(json.dumps(address, sort_keys=True).encode()).hexdigest()[:10]


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[-1]))
