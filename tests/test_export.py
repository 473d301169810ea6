"""Parquet export: types survive, partitions by month, manifest counts, a re-export never mixes."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import duckdb
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from pipelines.export import export_parquet
from pipelines.load import run_load
from sources.bankconnect.errors import ConfigError
from tests.conftest import DOCS_ID, SEED_ID, table_counts


@pytest.fixture
def loaded(api, db_path):
    api.documented()
    run_load([SEED_ID, DOCS_ID], duckdb_path=db_path, base_url=api.base_url)
    return db_path


def test_export_round_trip_types_and_counts(loaded, tmp_path):
    out = tmp_path / "export"
    result = export_parquet(loaded, str(out))
    manifest = json.loads((out / "manifest.json").read_text())
    counts = table_counts(loaded)
    assert counts.pop("raw_payloads") == 4  # 2 sessions x (session_status, insights): archive, not exported
    exported = {t["table"]: t for t in manifest["tables"] if t["schema"] == "bankconnect"}
    assert {t: e["row_count"] for t, e in exported.items()} == counts
    assert result.row_count >= sum(counts.values())

    # transactions: partitioned by month, DECIMAL and DATE preserved (read back with pyarrow)
    tx = exported["transactions"]
    assert tx["partitioned_by"] == "export_month"
    assert "bankconnect/transactions/export_month=2023-11/data_0.parquet" in tx["files"]
    table = ds.dataset(out / "bankconnect" / "transactions", format="parquet", partitioning="hive").to_table()
    assert table.num_rows == 4
    assert str(table.schema.field("amount").type) == "decimal128(18, 2)"
    assert str(table.schema.field("date").type) == "date32[day]"
    seed = table.filter(ds.field("session_id") == SEED_ID).sort_by("seq").to_pylist()
    assert (seed[1]["date"], seed[1]["amount"], seed[1]["export_month"]) == (
        date(2023, 12, 15), Decimal("10890.00"), "2023-12")

    # and with DuckDB
    con = duckdb.connect()
    got = con.execute(f"select typeof(balance), balance from read_parquet('{out}/bankconnect/eod_balances/**/*.parquet', "
                      f"hive_partitioning = true) where session_id = ? and date = '2023-11-30'", [SEED_ID]).fetchall()
    assert got == [("DECIMAL(18,2)", Decimal("-404187.89"))]
    details = pq.read_table(out / "bankconnect" / "account_details" / "data.parquet")
    assert details.num_rows == 2


def test_re_export_with_fewer_sessions_leaves_no_stale_files(api, tmp_path):
    first_db, second_db = str(tmp_path / "a.duckdb"), str(tmp_path / "b.duckdb")
    api.documented()
    run_load([SEED_ID, DOCS_ID], duckdb_path=first_db, base_url=api.base_url)
    run_load([SEED_ID], duckdb_path=second_db, base_url=api.base_url)
    out = tmp_path / "export"
    export_parquet(first_db, str(out))
    assert (out / "bankconnect" / "transactions" / "export_month=2025-08").exists()
    export_parquet(second_db, str(out))
    months = sorted(p.name for p in (out / "bankconnect" / "transactions").iterdir())
    assert months == ["export_month=2023-11", "export_month=2023-12"]  # the docs session's 2025 months are gone
    assert not (out / "bankconnect" / "score").exists()  # only the docs sample has a score
    on_disk = sorted(str(p.relative_to(out)) for p in out.rglob("*.parquet"))
    listed = sorted(f for t in json.loads((out / "manifest.json").read_text())["tables"] for f in t["files"])
    assert on_disk == listed
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".export")]


def test_export_selected_tables_and_refuses_foreign_folder(loaded, tmp_path):
    out = tmp_path / "sel"
    result = export_parquet(loaded, str(out), ["transactions", "bankconnect.sessions"])
    assert [t["table"] for t in result.tables] == ["transactions", "sessions"]
    with pytest.raises(ConfigError, match="no such table"):
        export_parquet(loaded, str(tmp_path / "x"), ["nope"])
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(ConfigError, match="not a bankconnect export"):
        export_parquet(loaded, str(foreign))
    assert (foreign / "notes.txt").read_text() == "keep me"
