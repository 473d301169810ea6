"""Where a run keeps its data and state, and the dlt settings every run uses."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional, Tuple

DATASET = "bankconnect"
PIPELINE_NAME = "bankconnect"
DEFAULT_DATABASE = "bankconnect.duckdb"

# dlt defaults this tool changes: no anonymous telemetry from a bank-data tool; every Arrow row
# carries its load id (stale-row cleanup relies on it); quiet logs. Users may still override
# each with the same environment variable.
_DLT_DEFAULTS = {
    "RUNTIME__DLTHUB_TELEMETRY": "false",
    "NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID": "true",
    "RUNTIME__LOG_LEVEL": "WARNING",
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
    pipelines_dir = Path.home() / ".bankconnect" / "pipelines" / destination
    pipeline = dlt.pipeline(pipeline_name=PIPELINE_NAME, destination=destination, dataset_name=DATASET,
                            pipelines_dir=str(pipelines_dir))
    return pipeline, destination
