"""Incremental models: three loads with `models` between equal a full rebuild row for row (DuckDB, PostgreSQL)."""

from __future__ import annotations

import shutil
from decimal import Decimal
from typing import Callable, Dict, List

import duckdb
import orjson
from click.testing import CliRunner

from pipelines.cli import cli
from pipelines.load import run_load
from pipelines.models import build_models, discover_models, run_models, sql_dir
from pipelines.warehouse import build_models_on, run_models_postgres
from simulator import Simulator, build_catalog
from tests.apiserver import API_KEY, SERVER_HASH
from tests.test_destinations import new_database, pg, pg_rows, postgres_admin  # noqa: F401 (fixtures)
from tests.test_models import build, clean_tables

TABLE_MODELS = sorted(n for n, m in discover_models().items() if m.kind == "table")
FULL = "analytics_full"  # the same models built from scratch beside the incremental ones


def refetched_changed(catalog, session_id: str) -> tuple:
    """Serve `session_id` again with only its first 3 transactions per account and each account listing a
    month two months before its first: (transactions, accounts) of the new payload."""
    status, insights = (orjson.loads(catalog.respond(session_id, kind)[1]) for kind in ("session_status", "insights"))
    for account in insights["accounts"]:
        account["data"]["transactions"] = account["data"]["transactions"][:3]
        months = account["data"]["account_details"]["months"]
        year, month = map(int, months[0].split("-"))
        months.insert(0, f"{year - (month <= 2)}-{(month - 3) % 12 + 1:02d}")
    catalog.add_session(session_id, status_payload=status, insights_payload=insights)
    return 3 * len(insights["accounts"]), len(insights["accounts"])


def normalised(rows: List[tuple]) -> List[tuple]:
    def value(v):
        return Decimal(str(v)).quantize(Decimal("0.000001")) if isinstance(v, (float, Decimal)) else v
    return sorted((tuple(value(v) for v in row) for row in rows), key=repr)


def three_runs(load: Callable, models: Callable, fetch: Callable) -> None:
    """Load 4, then 3 new + 1 re-fetched (months changed), then 2 new + 1 deleted and purged; after each
    `models`, compare with a full build."""
    catalog = build_catalog(n_sessions=9, seed=11, lifecycle=False, accounts=(1, 2), months=(3, 5),
                            txn_per_month=(4, 8))
    ids = catalog.session_ids()
    with Simulator(catalog, api_key=API_KEY, server_hash=SERVER_HASH) as sim:
        base_url = sim.base_url + "/bank-connect/v1"
        load(ids[:4], base_url)
        assert models().changed_sessions is None  # the first build is a full one
        assert_equals_full_build(fetch)
        (months_before,), = fetch(f"select count(*) from analytics.account_monthly where session_id = '{ids[0]}'")

        transactions, accounts = refetched_changed(catalog, ids[0])
        load([ids[0], *ids[4:7]], base_url)
        assert models().changed_sessions == 4
        assert_equals_full_build(fetch)
        assert fetch(f"select credit_count + debit_count from analytics.session_summary "
                     f"where session_id = '{ids[0]}'") == [(transactions,)]
        assert fetch(f"select count(*) from analytics.account_monthly where session_id = '{ids[0]}'") == [
            (months_before + 2 * accounts,)]  # the spine starts two months earlier

        catalog.add_session(ids[1], error=(410, "SESSION_DELETED"))
        load([ids[1], *ids[7:9]], base_url)
        assert models().changed_sessions == 3
        assert_equals_full_build(fetch)
        assert fetch(f"select session_status, month_count from analytics.session_summary "
                     f"where session_id = '{ids[1]}'") == [("deleted", 0)]
        assert fetch(f"select count(*) from analytics.account_monthly where session_id = '{ids[1]}'") == [(0,)]
    assert models().changed_sessions == 0  # nothing new: nothing rebuilt
    assert fetch("select is_full_refresh, session_count from analytics._builds order by build_id") == [
        (True, 4), (False, 4), (False, 3), (False, 0)]


def assert_equals_full_build(fetch: Callable) -> None:
    for table in TABLE_MODELS:
        incremental = normalised(fetch(f"select * from analytics.{table}"))
        assert incremental == normalised(fetch(f"select * from {FULL}.{table}")), table
    assert fetch("select count(*) from analytics.account_monthly") != [(0,)]


def test_incremental_models_equal_a_full_rebuild_in_duckdb(db_path):
    def load(ids, base_url):
        run_load(ids, duckdb_path=db_path, base_url=base_url, purge_deleted=True)

    def models():
        result = build_models(db_path)
        build_models(db_path, schema=FULL, full_refresh=True)
        return result

    def fetch(sql):
        con = duckdb.connect(db_path, read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    three_runs(load, models, fetch)


def test_incremental_models_equal_a_full_rebuild_in_postgres(pg):  # noqa: F811 (fixture)
    import psycopg2

    def load(ids, base_url):
        run_load(ids, destination="postgres", base_url=base_url, purge_deleted=True)

    def models():
        result = build_models_on("postgres")
        con = psycopg2.connect(pg)
        try:
            run_models_postgres(con, schema=FULL, full_refresh=True)
        finally:
            con.close()
        return result

    three_runs(load, models, lambda sql: pg_rows(pg, sql))


def builds(con) -> List[tuple]:
    return con.execute("select build_id, is_full_refresh, session_count from analytics._builds order by 1").fetchall()


def test_a_changed_model_file_rebuilds_everything(tmp_path):
    models = tmp_path / "sql"
    shutil.copytree(sql_dir(), models, ignore=shutil.ignore_patterns("*.py", "__pycache__", "*.md"))
    built = build(clean_tables(), sql_path=models)
    assert run_models(built.con, sql_path=models).changed_sessions == 0
    mart = models / "marts" / "account_summary.sql"
    mart.write_text(mart.read_text() + "\n-- a comment changes the file\n")
    again = run_models(built.con, sql_path=models)
    assert again.changed_sessions is None and again.model("account_summary").row_count == 1
    assert builds(built.con) == [(1, True, 1), (2, False, 0), (3, True, 1)]
    hashes = built.con.execute("select model_hashes from analytics._builds order by build_id").fetchall()
    changed = [name for name, h in orjson.loads(hashes[2][0]).items() if orjson.loads(hashes[1][0])[name] != h]
    assert changed == ["account_summary"]


def test_a_session_row_that_changed_is_rebuilt_and_tested():
    built = build(clean_tables())
    built.con.execute("update bankconnect.sessions set status = 'failed'")
    result = run_models(built.con)
    assert result.changed_sessions == 1 and result.model("session_summary").row_count == 1
    assert built.con.execute("select session_status from analytics.session_summary").fetchall() == [("failed",)]
    assert result.model("account_monthly").row_count == 3  # the whole table, not just what changed


def test_full_refresh_flag(tmp_path):
    path = str(tmp_path / "bank.duckdb")
    con = duckdb.connect(path)
    from tests.test_models import load_raw

    load_raw(con, clean_tables())
    con.close()
    runner = CliRunner()
    outputs: Dict[str, str] = {}
    for name, args in (("first", []), ("again", []), ("full", ["--full-refresh"])):
        done = runner.invoke(cli, ["models", "--duckdb", path, *args])
        assert done.exit_code == 0, done.output
        outputs[name] = done.output.splitlines()[0]
    assert "incremental" not in outputs["first"] and "incremental" not in outputs["full"]
    assert outputs["again"].endswith("(incremental: 0 changed session(s))")
    con = duckdb.connect(path, read_only=True)
    assert builds(con) == [(1, True, 1), (2, False, 0), (3, True, 1)]
    con.close()



def test_every_table_model_is_keyed_by_session():
    """What makes delete + insert by session_id exact: each mart and check has session_id in its grain."""
    models = discover_models()
    assert TABLE_MODELS and [n for n in TABLE_MODELS if "session_id" not in models[n].grain] == []
