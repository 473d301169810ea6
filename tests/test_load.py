"""End to end through HTTP into DuckDB: fixtures, outcomes, re-runs, state, types."""

from __future__ import annotations

from datetime import date
from decimal import Decimal


from pipelines.load import run_load
from tests.apiserver import fixture
from tests.conftest import DOCS_ID, SEED_ID, query, table_counts


def test_fixtures_load_with_hand_computed_values(api, db_path):
    api.documented()
    summary = run_load([SEED_ID, DOCS_ID], duckdb_path=db_path, base_url=api.base_url)
    assert summary.sessions == {"completed": 2}
    assert query(db_path, "select date, transaction_type, amount from bankconnect.transactions "
                          "where session_id = ? order by seq", SEED_ID) == [
        (date(2023, 11, 5), "credit", Decimal("6500.00")), (date(2023, 12, 15), "credit", Decimal("10890.00"))]
    nov = query(db_path, "select date, balance from bankconnect.eod_balances where session_id = ? "
                         "and date between '2023-11-01' and '2023-11-30' order by date", SEED_ID)
    assert len(nov) == 30
    assert nov[0] == (date(2023, 11, 1), Decimal("320772.41"))
    assert nov[-1] == (date(2023, 11, 30), Decimal("-404187.89"))
    assert query(db_path, "select value from bankconnect.predictors_monthly where session_id = ? "
                          "and metric = 'expense' and month = '2024-02-01'", SEED_ID) == [(760951.0,)]
    assert query(db_path, "select value from bankconnect.monthly_analysis where session_id = ? "
                          "and metric = 'opening_balance' and month = '2023-10-01'", SEED_ID) == [(10289.49,)]
    assert query(db_path, "select min(date), max(date), count(*) from bankconnect.eod_balances "
                          "where session_id = ?", DOCS_ID) == [(date(2025, 8, 11), date(2025, 11, 3), 85)]
    assert query(db_path, "select balance from bankconnect.eod_balances where session_id = ? "
                          "and date = '2025-08-11'", DOCS_ID) == [(Decimal("5.00"),)]
    assert query(db_path, "select salary_month from bankconnect.salary_transactions where session_id = ? "
                          "order by seq limit 1", DOCS_ID) == [(date(2025, 7, 1),)]


def test_column_types_are_exact(api, db_path):
    api.documented()
    run_load([SEED_ID], duckdb_path=db_path, base_url=api.base_url)
    types = dict(query(db_path, "select column_name, data_type from information_schema.columns "
                                "where table_schema = 'bankconnect' and table_name = 'transactions'"))
    assert types["amount"] == "DECIMAL(18,2)" and types["balance"] == "DECIMAL(18,2)"
    assert types["date"] == "DATE" and types["seq"] == "BIGINT"
    months = dict(query(db_path, "select column_name, data_type from information_schema.columns "
                                 "where table_schema = 'bankconnect' and table_name = 'predictors_monthly'"))
    assert months["month"] == "DATE" and months["value"] == "DOUBLE"


def test_payload_session_id_mismatch_loads_under_requested_id(api, db_path):
    api.documented()
    run_load([SEED_ID], duckdb_path=db_path, base_url=api.base_url)
    assert query(db_path, "select session_id, payload_session_id from bankconnect.sessions") == [
        (SEED_ID, "fdf6fe90-c1a0-41f7-964f-bb2425975309")]
    assert query(db_path, "select part from bankconnect.data_issues where session_id = ?", SEED_ID) == [
        ("insights.session_id",)]


def test_mixed_batch_records_problems_and_retries_not_ready_next_run(api, db_path):
    api.documented()
    api.session("gone", status_error=(410, "SESSION_DELETED"))
    api.session("wait", fixture("docs_session_status_completed.json"), insights_error=(400, "PROCESSING_NOT_COMPLETED"))
    summary = run_load([SEED_ID, "nope", "gone", "wait"], duckdb_path=db_path, base_url=api.base_url)
    assert summary.sessions == {"completed": 1, "not_found": 1, "deleted": 1, "pending": 1}
    assert dict(query(db_path, "select session_id, status from bankconnect.sessions")) == {
        SEED_ID: "completed", "nope": "not_found", "gone": "deleted", "wait": "pending"}
    assert query(db_path, "select count(*) from bankconnect.transactions") == [(2,)]

    # the session is ready now; the next run picks it up without being told, and only it
    api.session("wait", fixture("docs_session_status_completed.json"), fixture("docs_insights.json"))
    before = dict(api.hits)
    summary = run_load([], duckdb_path=db_path, base_url=api.base_url)
    assert summary.sessions == {"completed": 1}
    fetched = {p for p, n in api.hits.items() if n > before.get(p, 0)}
    assert fetched == {"/bank-connect/v1/session_data/wait/session_status/",
                       "/bank-connect/v1/session_data/wait/insights/"}
    assert dict(query(db_path, "select session_id, status from bankconnect.sessions"))["wait"] == "completed"
    assert query(db_path, "select count(*) from bankconnect.transactions where session_id = 'wait'") == [(2,)]
    first_seen = query(db_path, "select first_seen_at < last_checked_at from bankconnect.sessions "
                                "where session_id = 'wait'")
    assert first_seen == [(True,)]

    # a third run has nothing to do
    summary = run_load([], duckdb_path=db_path, base_url=api.base_url)
    assert summary.sessions == {}


def test_rerun_never_duplicates(api, db_path):
    api.documented()
    run_load([SEED_ID, DOCS_ID], duckdb_path=db_path, base_url=api.base_url)
    first = table_counts(db_path)
    run_load([SEED_ID, DOCS_ID], duckdb_path=db_path, base_url=api.base_url)
    assert table_counts(db_path) == first
    assert first["transactions"] == 4 and first["predictors"] == 2160 + 31


def test_refetch_removes_rows_the_session_no_longer_has(api, db_path, tmp_path):
    api.documented()
    run_load([SEED_ID], duckdb_path=db_path, base_url=api.base_url)
    assert query(db_path, "select count(*) from bankconnect.fraud") == [(1,)]
    import orjson

    doc = orjson.loads(fixture("seed_insights.json"))
    doc["accounts"][0]["data"]["fraud"] = []
    doc["accounts"][0]["data"]["transactions"] = doc["accounts"][0]["data"]["transactions"][:1]
    api.session(SEED_ID, fixture("seed_session_status.json"), doc)
    run_load([SEED_ID], duckdb_path=db_path, base_url=api.base_url)
    assert query(db_path, "select count(*) from bankconnect.fraud") == [(0,)]
    assert query(db_path, "select count(*) from bankconnect.transactions") == [(1,)]


def test_databases_do_not_share_state(api, tmp_path):
    api.documented()
    api.session("wait", fixture("seed_session_status.json"), insights_error=(400, "PROCESSING_NOT_COMPLETED"))
    a, b = str(tmp_path / "a.duckdb"), str(tmp_path / "b.duckdb")
    run_load(["wait"], duckdb_path=a, base_url=api.base_url)
    summary = run_load([], duckdb_path=b, base_url=api.base_url)
    assert summary.sessions == {}  # b never heard of 'wait'
    assert run_load([], duckdb_path=a, base_url=api.base_url).sessions == {"pending": 1}


def test_a_deleted_database_is_loaded_again_from_scratch(api, db_path):
    """Deleting the file to start over leaves dlt's working folder (.bankconnect/) remembering the tables."""
    import os

    api.documented()
    run_load([SEED_ID], duckdb_path=db_path, base_url=api.base_url)
    os.remove(db_path)
    summary = run_load([DOCS_ID], duckdb_path=db_path, base_url=api.base_url)
    assert summary.sessions == {"completed": 1}
    assert query(db_path, "select session_id, status from bankconnect.sessions") == [(DOCS_ID, "completed")]
    assert query(db_path, "select count(*), min(date) from bankconnect.eod_balances") == [(85, date(2025, 8, 11))]


def test_one_malformed_session_fails_alone(api, db_path):
    api.documented()
    api.session("broken", fixture("seed_session_status.json"), [1, 2, 3])
    summary = run_load([SEED_ID, "broken"], duckdb_path=db_path, base_url=api.base_url)
    assert summary.sessions == {"completed": 1, "failed": 1}
    assert query(db_path, "select status, error_code, error_message from bankconnect.sessions "
                          "where session_id = 'broken'") == [
        ("failed", "INVALID_PAYLOAD", "insights is a JSON list, not an object")]
    assert query(db_path, "select count(*) from bankconnect.transactions") == [(2,)]


def test_state_and_tables_hold_no_secrets(api, db_path, tmp_path):
    from tests.apiserver import API_KEY, SERVER_HASH

    api.documented()
    run_load([SEED_ID], duckdb_path=db_path, base_url=api.base_url)
    for path in tmp_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert API_KEY.encode() not in data and SERVER_HASH.encode() not in data, path


def test_the_sessions_table_is_the_record_not_the_pipeline_state(api, db_path):
    # 60 known sessions, one still processing: the state stays small, and a fresh working folder
    # (a new machine) picks the pending one up from the table alone
    import shutil

    from pipelines.runtime import make_pipeline, state_dir

    ids = [f"s{i:03d}" for i in range(60)]
    for sid in ids:
        api.session(sid, status_error=(404, "SESSION_NOT_FOUND"))
    api.session("wait", fixture("seed_session_status.json"), insights_error=(400, "PROCESSING_NOT_COMPLETED"))
    run_load(ids + ["wait"], duckdb_path=db_path, base_url=api.base_url)
    pipeline, _ = make_pipeline(db_path)
    assert "sessions" not in pipeline.state.get("sources", {}).get("bankconnect", {})
    state_file = state_dir(db_path) / "bankconnect" / "state.json"
    assert state_file.stat().st_size < 4096
    shutil.rmtree(state_dir(db_path))
    assert run_load([], duckdb_path=db_path, base_url=api.base_url).sessions == {"pending": 1}
    assert query(db_path, "select count(*) from bankconnect.sessions") == [(61,)]
    assert api.hits["/bank-connect/v1/session_data/wait/session_status/"] == 2
    assert api.hits["/bank-connect/v1/session_data/s000/session_status/"] == 1


def test_a_state_from_before_the_sessions_table_was_the_record_is_dropped(api, db_path):
    from pipelines.runtime import make_pipeline

    api.documented()
    run_load([SEED_ID], duckdb_path=db_path, base_url=api.base_url)
    pipeline, _ = make_pipeline(db_path)
    with pipeline.managed_state() as state:  # what older releases kept
        state["sources"]["bankconnect"]["sessions"] = {SEED_ID: {"status": "completed", "retry": False}}
    assert "sessions" in make_pipeline(db_path)[0].state["sources"]["bankconnect"]
    run_load([SEED_ID], duckdb_path=db_path, base_url=api.base_url)
    pipeline, _ = make_pipeline(db_path)
    assert "sessions" not in pipeline.state["sources"]["bankconnect"]
    assert query(db_path, "select count(*) from bankconnect.transactions") == [(2,)]
