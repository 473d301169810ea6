"""Build the SQL models under sql/ into DuckDB (the default database): the public entry points."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .model_adapters import DuckDBAdapter
from .model_defs import (CHECK_PREFIX, LAYERS, MODELS_SCHEMA, RAW_SCHEMA, SAMPLE_ROWS, Model, ModelError,  # noqa: F401
                         ModelRun, ModelsResult, ModelTestError, NoDataError, build_order, discover_models, sql_dir)
from .descriptions import describe_models
from .model_runner import run_build

_build_order = build_order  # the name tests know


def run_models(con: Any, **kw: Any) -> ModelsResult:
    """Build the models in an open DuckDB connection: `model_runner.run_build` (its arguments) over DuckDB."""
    return run_build(DuckDBAdapter(con), **kw)


def build_models(duckdb_path: str, **kw: Any) -> ModelsResult:
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
