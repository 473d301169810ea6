"""`bankconnect export`: every raw table and model as Parquet (zstd), with a manifest to verify."""

from __future__ import annotations

import json
import shutil
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, Iterable, List, Optional

from sources.bankconnect.errors import BankConnectError, ConfigError
from sources.bankconnect.settings import MODELS_SCHEMA as ANALYTICS, RAW_SCHEMA as DATASET
from sources.bankconnect.tables import ARCHIVE_TABLES

from .duckdb_file import connect, table_names

MANIFEST = "manifest.json"
PARTITION_COLUMN = "export_month"
# Large tables are hive-partitioned by month (`export_month=YYYY-MM/`); the source column is kept
# in the files as it is, so its DATE type survives. Rows without a month go to
# `export_month=__HIVE_DEFAULT_PARTITION__`.
PARTITIONED = {
    (DATASET, "transactions"): "date",
    (DATASET, "eod_balances"): "date",
    (DATASET, "monthly_analysis"): "month",
    (DATASET, "predictors_monthly"): "month",
    (ANALYTICS, "account_monthly"): "month",
}


@dataclass
class ExportResult:
    """What an export wrote."""

    out_dir: str
    tables: List[Dict] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def row_count(self) -> int:
        return sum(t["row_count"] for t in self.tables)


def export_parquet(duckdb_path: str, out_dir: str, tables: Optional[Iterable[str]] = None) -> ExportResult:
    """Write tables as Parquet under `out_dir/<schema>/<table>/`, replacing an earlier export whole.

    The new export is written beside the old one and swapped in at the end, so a reader never sees
    old and new files mixed, and a failed export leaves the previous one untouched.

    Args:
        duckdb_path: the database to read.
        out_dir: the export folder (created; an existing one must be an earlier export or empty).
        tables: names to export (`transactions`, `analytics.account_monthly`); default all.
    """
    import duckdb

    started = time.perf_counter()
    db = Path(duckdb_path)
    out = Path(out_dir).resolve()
    _check_target(out)
    staging = out.parent / f".{out.name}.tmp-{uuid.uuid4().hex[:8]}"
    con = connect(str(db), read_only=True)
    try:
        selected = _select(_exportable(con), tables)
        result = ExportResult(out_dir=str(out))
        staging.mkdir(parents=True)
        for schema, table in selected:
            result.tables.append(_export_table(con, schema, table, staging))
        manifest = {
            "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "database": str(db.resolve()),
            "format": "parquet", "compression": "zstd",
            "tables": result.tables,
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2))
        _swap(staging, out)
    except duckdb.Error as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise BankConnectError(f"export failed: {exc}") from None
    finally:
        con.close()
    result.seconds = time.perf_counter() - started
    return result


def _exportable(con) -> List[tuple]:
    return [(schema, table) for schema in (DATASET, ANALYTICS) for table in table_names(con, schema)]


def _select(available: List[tuple], wanted: Optional[Iterable[str]]) -> List[tuple]:
    if not wanted:  # the stored documents are for rebuilding, not for the warehouse: name them to export
        return [(s, t) for s, t in available if not (s == DATASET and t in ARCHIVE_TABLES)]
    by_name = {f"{s}.{t}": (s, t) for s, t in available}
    by_name.update({t: (s, t) for s, t in available if s == DATASET})
    chosen, unknown = [], []
    for name in wanted:
        (chosen if name in by_name else unknown).append(by_name.get(name, name))
    if unknown:
        raise ConfigError(f"no such table to export: {', '.join(unknown)}")
    return list(dict.fromkeys(chosen))


def _export_table(con, schema: str, table: str, staging: Path) -> Dict:
    relative = Path(schema) / table
    target = staging / relative
    source = f'"{schema}"."{table}"'
    columns = con.execute(f"describe {source}").fetchall()
    month_column = PARTITIONED.get((schema, table))
    target.mkdir(parents=True)
    if month_column:
        con.execute(
            f"copy (select *, strftime(date_trunc('month', \"{month_column}\"), '%Y-%m') as {PARTITION_COLUMN} "
            f"from {source}) to '{_sql_path(target)}' "
            f"(format parquet, compression zstd, partition_by ({PARTITION_COLUMN}), overwrite_or_ignore)")
    else:
        con.execute(f"copy {source} to '{_sql_path(target / 'data.parquet')}' (format parquet, compression zstd)")
    files = sorted(str(p.relative_to(staging)) for p in target.rglob("*.parquet"))
    if not files:  # an empty partitioned table writes no file: keep an empty one so the schema travels
        con.execute(f"copy (select * from {source} limit 0) to '{_sql_path(target / 'data.parquet')}' "
                    f"(format parquet, compression zstd)")
        files = [str((target / "data.parquet").relative_to(staging))]
    return {
        "schema": schema, "table": table, "path": str(relative), "files": files,
        "row_count": con.execute(f"select count(*) from {source}").fetchone()[0],
        "partitioned_by": PARTITION_COLUMN if month_column else None,
        "columns": [{"name": c[0], "type": c[1]} for c in columns],
    }


def _check_target(out: Path) -> None:
    if out.exists() and any(out.iterdir()) and not (out / MANIFEST).exists():
        raise ConfigError(f"{out} is not empty and is not a bankconnect export; choose another --out")


def _swap(staging: Path, out: Path) -> None:
    old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
    if out.exists():
        out.rename(old)
    staging.rename(out)
    shutil.rmtree(old, ignore_errors=True)


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
