"""Every raw table, model and column says what it means, in the contract and in the database (COMMENT ON)."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.descriptions import comment_statements, model_column_doc, model_header
from pipelines.models import discover_models
from sources.bankconnect.tables import TABLES, column_doc
from tests.apiserver import SEED_ID, fixture
from tests.test_destinations import new_database, pg, pg_rows, postgres_admin  # noqa: F401 (fixtures)


@pytest.mark.parametrize("table", sorted(TABLES), ids=str)
def test_every_contract_column_has_a_description(table):
    assert TABLES[table].doc
    for column in TABLES[table].column_names:
        assert column_doc(table, column), f"{table}.{column} has no description in sources/bankconnect/tables.py"


def test_table_specific_description_wins_over_the_shared_one():
    assert column_doc("accounts", "name") == "account holder name (personal data: see --pii)"
    assert column_doc("predictors", "name") == "predictor key as sent by the API"
    assert column_doc("transactions", "amount") == "transaction amount, always positive (INR, DECIMAL(18,2), exact as sent)"


def test_model_header_column_lines_and_inheritance():
    models = discover_models()
    summary, own = model_header(models["account_monthly"])
    assert summary == "one row per account per month, from the account's first to its last covered or listed month"
    assert own["foir_basis"] == "the denominator foir used: salary or eligible_credits (null when both are 0)"
    assert "grain" not in own and "not_null" not in own
    # not in account_monthly's header: taken from int_account_monthly_flows, which it reads
    assert model_column_doc(models, "account_monthly", "emi_amount") == "sum of EMIs (INR, DECIMAL(18,2))"
    # a staging column passed through unchanged: the raw table's description
    assert model_column_doc(models, "stg_transactions", "transaction_note") == column_doc("transactions", "transaction_note")
    assert model_column_doc(models, "account_monthly", "no_such_column") is None


def test_comment_statements_quote_text():
    assert comment_statements([("column", '"s"."t"."c"', "holder's name")]) == [
        "comment on column \"s\".\"t\".\"c\" is 'holder''s name'"]


def test_plain_duckdb_shows_a_comment_on_every_table_and_column(demo_db):
    con = duckdb.connect(demo_db, read_only=True)
    try:
        rows = con.execute(
            "select schema_name, table_name, column_name, comment from duckdb_columns() "
            "where schema_name in ('bankconnect', 'analytics') and table_name not like '\\_dlt%' escape '\\'").fetchall()
        tables = con.execute(
            "select schema_name, table_name, comment from duckdb_tables() where schema_name in ('bankconnect', 'analytics') "
            "and table_name not like '\\_dlt%' escape '\\' union all "
            "select schema_name, view_name, comment from duckdb_views() where schema_name = 'analytics'").fetchall()
        transactions = dict(con.execute(
            "select column_name, comment from duckdb_columns() where schema_name = 'bankconnect' "
            "and table_name = 'transactions'").fetchall())
    finally:
        con.close()
    assert len(rows) > 600 and len(tables) > 50
    assert [r[:3] for r in rows if not r[3]] == []
    assert [t[:2] for t in tables if not t[2]] == []
    assert transactions["amount"] == "transaction amount, always positive (INR, DECIMAL(18,2), exact as sent)"
    assert transactions["_dlt_load_id"] == "dlt load id that wrote the row"
    assert set(transactions) >= set(TABLES["transactions"].column_names)


def test_postgres_tables_models_and_columns_are_commented(pg, api, monkeypatch):
    from pipelines import descriptions
    from pipelines.load import run_load
    from pipelines.warehouse import build_models_on

    api.session(SEED_ID, fixture("seed_session_status.json"), fixture("seed_insights.json"))
    run_load([SEED_ID], destination="postgres", base_url=api.base_url)
    build_models_on("postgres")
    written = []
    real = descriptions.comment_statements
    monkeypatch.setattr(descriptions, "comment_statements", lambda c: written.append(real(c)) or written[-1])
    run_load([SEED_ID], destination="postgres", base_url=api.base_url)
    assert written == []  # every raw table's comments were in place
    import psycopg2

    con = psycopg2.connect(pg)
    with con, con.cursor() as cur:  # commits on leaving
        cur.execute("comment on column bankconnect.transactions.amount is 'changed by hand'")
    con.close()
    run_load([SEED_ID], destination="postgres", base_url=api.base_url)
    assert written == [['comment on column "bankconnect"."transactions"."amount" is '
                        "'transaction amount, always positive (INR, DECIMAL(18,2), exact as sent)'"]]
    rows = pg_rows(pg, "select c.table_schema, c.table_name, c.column_name, col_description("
                       "format('%%I.%%I', c.table_schema, c.table_name)::regclass, c.ordinal_position) "
                       "from information_schema.columns as c where c.table_schema in ('bankconnect', 'analytics') "
                       "and c.table_name not like '\\_dlt%%'")
    table_docs = pg_rows(pg, "select obj_description('bankconnect.transactions'::regclass), "
                             "obj_description('analytics.account_monthly'::regclass)")[0]
    assert len(rows) > 500  # the models' 358 columns and the raw tables the seed session fills
    assert [r[:3] for r in rows if not r[3]] == []
    assert ("bankconnect", "transactions", "balance",
            "account balance after the transaction / at end of day (INR, DECIMAL(18,2), exact as sent)") in rows
    assert table_docs == ("every transaction in statement order",
                          "one row per account per month, from the account's first to its last covered or listed month")


def test_a_load_alone_describes_the_raw_tables_it_wrote(api, db_path):
    from pipelines.load import run_load

    api.session(SEED_ID, fixture("seed_session_status.json"), fixture("seed_insights.json"))
    run_load([SEED_ID], duckdb_path=db_path, base_url=api.base_url)
    con = duckdb.connect(db_path, read_only=True)
    try:
        columns = con.execute("select table_name, column_name, comment from duckdb_columns() "
                              "where schema_name = 'bankconnect' and table_name not like '\\_dlt%' escape '\\'").fetchall()
        table = con.execute("select comment from duckdb_tables() where schema_name = 'bankconnect' "
                            "and table_name = 'fraud'").fetchone()
    finally:
        con.close()
    assert len(columns) > 150 and [c[:2] for c in columns if not c[2]] == []
    assert ("sessions", "status", "latest status: completed, pending, not_requested, not_found, deleted or failed") in columns
    assert table == ("fraud flags",)


def test_a_later_load_writes_only_the_comments_that_are_missing_or_differ(api, db_path, monkeypatch):
    from pipelines import descriptions
    from pipelines.load import run_load

    written = []
    real = descriptions.comment_statements
    monkeypatch.setattr(descriptions, "comment_statements", lambda c: written.append(real(c)) or written[-1])
    api.session(SEED_ID, fixture("seed_session_status.json"), fixture("seed_insights.json"))
    run_load([SEED_ID], duckdb_path=db_path, base_url=api.base_url)
    run_load([SEED_ID], duckdb_path=db_path, base_url=api.base_url)
    con = duckdb.connect(db_path)
    con.execute("comment on column bankconnect.transactions.amount is 'changed by hand'")
    con.execute("comment on table bankconnect.fraud is null")
    con.close()
    run_load([SEED_ID], duckdb_path=db_path, base_url=api.base_url)
    assert len(written) == 2 and len(written[0]) > 150  # the second load found every comment in place
    assert written[1] == [
        "comment on table \"bankconnect\".\"fraud\" is 'fraud flags'",
        "comment on column \"bankconnect\".\"transactions\".\"amount\" is "
        "'transaction amount, always positive (INR, DECIMAL(18,2), exact as sent)'"]


def test_a_later_models_build_writes_only_the_comments_that_are_missing_or_differ(demo_db, tmp_path, monkeypatch):
    import shutil

    from pipelines import descriptions
    from pipelines.models import build_models

    db = str(tmp_path / "bank.duckdb")
    shutil.copy(demo_db, db)
    written = []
    real = descriptions.comment_statements
    monkeypatch.setattr(descriptions, "comment_statements", lambda c: written.append(real(c)) or written[-1])
    build_models(db)
    con = duckdb.connect(db)
    con.execute("comment on view analytics.stg_account_months is null")
    con.execute("comment on column analytics.account_monthly.month is 'changed by hand'")
    con.close()
    build_models(db)
    assert written == [[], [  # the demo's build had written them all; views are compared too
        "comment on column \"analytics\".\"account_monthly\".\"month\" is 'month of the account, DATE on the 1st'",
        "comment on view \"analytics\".\"stg_account_months\" is "
        "'one row per account per month listed in account_details months[] / uploaded_months[]'"]]
