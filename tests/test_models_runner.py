"""The model runner: discovery, build order, selection, schemas, model tests, missing raw tables."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipelines.models import (
    ModelError,
    ModelTestError,
    NoDataError,
    build_models,
    discover_models,
    run_models,
    sql_dir,
)
from sources.bankconnect.tables import TABLES
from tests.test_models import A, S, TRANSACTIONS, build, clean_tables, load_raw, on, rows


@pytest.fixture(scope="module")
def built():
    b = build(clean_tables())
    yield b
    b.con.close()


def test_sql_dir_holds_every_layer():
    assert {p.name for p in sql_dir().iterdir() if p.is_dir()} >= {"staging", "intermediate", "marts", "checks"}


def test_every_model_is_built_after_what_it_reads(built):
    models = discover_models()
    order = [m.name for m in built.result.models]
    assert sorted(order) == sorted(models)
    for name in order:
        assert all(order.index(dep) < order.index(name) for dep in models[name].depends_on), name
    assert all(n.startswith("stg_") for n in order[:sum(n.startswith("stg_") for n in order)])


def test_kinds_row_counts_and_dq_results(built):
    objects = dict(built.con.execute(
        "select table_name, table_type from information_schema.tables where table_schema = 'analytics'").fetchall())
    models = discover_models()
    for run in built.result.models:
        layer = models[run.name].layer
        assert run.kind == ("view" if layer in ("staging", "intermediate") else "table")
        assert objects[run.name] == ("VIEW" if run.kind == "view" else "BASE TABLE")
        assert (run.row_count is None) == (run.kind == "view")
    assert built.result.model("account_monthly").row_count == 3
    assert set(built.result.dq) == {n for n in discover_models() if n.startswith("dq_")}
    assert "account_monthly: 3 rows" in built.result.summary()


def test_select_builds_a_model_and_what_it_reads():
    con = duckdb.connect()
    load_raw(con, clean_tables())
    result = run_models(con, select=["account_monthly"])
    names = {m.name for m in result.models}
    assert {"account_monthly", "int_daily_balances", "stg_transactions", "stg_salary_transactions"} <= names
    assert not names & {"session_summary", "category_monthly", "dq_running_balance", "stg_sessions"}
    assert result.dq == {}
    with pytest.raises(ModelError, match="no model named nope"):
        run_models(con, select=["nope"])


@pytest.mark.parametrize("raw_schema,schema", [("bankconnect", "analytics"), ("raw_bc", "models_x")])
def test_schema_names_can_be_changed(raw_schema, schema):
    con = duckdb.connect()
    load_raw(con, clean_tables(), schema=raw_schema)
    result = run_models(con, raw_schema=raw_schema, schema=schema)
    (closing,) = con.execute(f"select closing_balance from {schema}.account_monthly where month = '2024-03-01'").fetchone()
    assert closing == Decimal("3900.00")
    assert result.dq["dq_running_balance"] == 0
    schemas = {r[0] for r in con.execute("select schema_name from information_schema.schemata").fetchall()}
    assert ("analytics" in schemas) == (schema == "analytics")
    assert ("bankconnect" in schemas) == (raw_schema == "bankconnect")


def test_rebuild_replaces_every_model_even_one_of_another_kind(built):
    built.con.execute("drop view analytics.stg_sessions; create table analytics.stg_sessions as select 1 as stale")
    again = run_models(built.con)
    assert [m.name for m in again.models] == [m.name for m in built.result.models]
    assert rows(built, "select session_status from analytics.stg_sessions") == [{"session_status": "completed"}]
    assert again.model("account_monthly").row_count == 3


def test_grain_violation_in_a_mart_fails_and_keeps_the_previous_build():
    b = build(clean_tables())
    b.con.execute("insert into bankconnect.sessions (session_id, status) values ('s-1', 'completed')")
    with pytest.raises(ModelTestError) as failure:
        run_models(b.con)
    assert (failure.value.model, failure.value.rule, failure.value.failing_rows) == (
        "session_summary", "grain(session_id)", 1)
    assert failure.value.sample == [{"session_id": "s-1", "row_count": 2}]
    assert "session_summary" in str(failure.value) and "grain(session_id)" in str(failure.value)
    # rolled back: the earlier build is intact
    assert b.con.execute("select count(*) from analytics.session_summary").fetchone()[0] == 1


def write_models(root: Path, files: dict) -> Path:
    for relative, sql in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(sql)
    return root


def sessions_only() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    load_raw(con, {"sessions": [{"session_id": "s-1", "status": "completed"}]})
    return con


@pytest.mark.parametrize("header,select,rule", [
    ("-- grain: id", "select 1 as id union all select 1 as id", "grain(id)"),
    ("-- grain: id, part", "select 1 as id, 'a' as part union all select 1 as id, 'a' as part", "grain(id, part)"),
    ("-- not_null: id", "select cast(null as integer) as id", "not_null(id)"),
], ids=["grain", "compound-grain", "not-null"])
def test_a_model_test_failing_fails_the_build(tmp_path, header, select, rule):
    root = write_models(tmp_path, {"marts/thing.sql": f"-- one row per thing\n{header}\nwith final as ({select})\nselect * from final\n"})
    with pytest.raises(ModelTestError, match=rf"model thing: test {rule.replace('(', '[(]').replace(')', '[)]')}"):
        run_models(sessions_only(), sql_path=root)


def test_checks_never_fail_the_build(tmp_path):
    root = write_models(tmp_path, {"checks/dq_always.sql": "-- one row per problem\nselect 1 as problem\n"})
    assert run_models(sessions_only(), sql_path=root).dq == {"dq_always": 1}


@pytest.mark.parametrize("files,message", [
    ({"marts/a.sql": "select * from analytics.nope"}, "model a reads analytics.nope, which is no model"),
    ({"marts/a.sql": "select * from analytics.b", "marts/b.sql": "select * from analytics.a"}, "cycle"),
    ({"misc/a.sql": "select 1"}, "models live in one of"),
    ({"marts/a.sql": "select 1", "checks/a.sql": "select 1"}, "two models named a"),
    ({"marts/a.sql": "select no_such_column from bankconnect.sessions"}, "model a .* failed to build"),
    ({"marts/a.sql": "select * from bankconnect.no_such_table"}, "not a known raw table"),
], ids=["unknown-model", "cycle", "unknown-layer", "duplicate-name", "sql-error", "unknown-raw-table"])
def test_bad_models_raise_a_clear_error(tmp_path, files, message):
    with pytest.raises(ModelError, match=message):
        run_models(sessions_only(), sql_path=write_models(tmp_path, files))


def test_missing_raw_tables_are_created_empty():
    con = duckdb.connect()
    load_raw(con, {"transactions": on(S, A, TRANSACTIONS)})
    result = run_models(con)
    assert {"sessions", "eod_balances", "salary_transactions", "monthly_analysis"} <= set(result.created_raw_tables)
    assert "transactions" not in result.created_raw_tables
    columns = [r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_schema = 'bankconnect' "
        "and table_name = 'eod_balances' order by ordinal_position").fetchall()]
    assert tuple(columns) == TABLES["eod_balances"].column_names
    assert con.execute("select count(*) from bankconnect.eod_balances").fetchone()[0] == 0
    # balances come from the transactions alone; with no eod rows the whole range is one gap
    assert con.execute("select closing_balance from analytics.account_monthly where month = '2024-03-01'"
                       ).fetchone()[0] == Decimal("3900.00")
    assert con.execute("select gap_day_count from analytics.dq_eod_gaps").fetchall() == [(36,)]


def test_missing_contract_columns_are_added():
    con = duckdb.connect()
    load_raw(con, {"transactions": on(S, A, TRANSACTIONS)})
    con.execute("alter table bankconnect.transactions drop column merchant_category")
    result = run_models(con)
    assert result.added_raw_columns == ["transactions.merchant_category"]
    assert con.execute("select count(*) from analytics.stg_transactions where merchant_category is null"
                       ).fetchone()[0] == len(TRANSACTIONS)


@pytest.mark.parametrize("setup", [
    "select 1",
    "create schema bankconnect",
    "create schema bankconnect; create table bankconnect.eod_balances (session_id varchar)",
], ids=["no-schema", "empty-schema", "no-transactions-or-sessions"])
def test_no_data_loaded_yet(setup):
    con = duckdb.connect()
    con.execute(setup)
    with pytest.raises(NoDataError, match="no data loaded yet: run `bankconnect load` first"):
        run_models(con)


def test_build_models_opens_the_file(tmp_path):
    path = tmp_path / "bank.duckdb"
    con = duckdb.connect(str(path))
    load_raw(con, clean_tables())
    con.close()
    result = build_models(str(path))
    assert result.model("account_monthly").row_count == 3
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("select count(*) from analytics.session_summary").fetchone()[0] == 1
    con.close()
    with pytest.raises(NoDataError):
        build_models(str(tmp_path / "missing.duckdb"))
