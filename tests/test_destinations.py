"""Other dlt destinations for real: Parquet files on the filesystem destination, and PostgreSQL."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Dict, Iterator, List, NamedTuple
from urllib.parse import urlsplit, urlunsplit

import duckdb
import orjson
import pyarrow as pa
import pyarrow.dataset as ds
import pytest
from click.testing import CliRunner

from benchmarks.postgres import drop_scratch_database
from pipelines.cli import cli
from pipelines.cleanup import remove_replaced_rows
from pipelines.load import LoadError, run_load
from pipelines.models import ModelTestError, build_models
from pipelines.runtime import destination_state_dir, make_pipeline
from pipelines.warehouse import build_models_on
from sources.bankconnect.errors import ConfigError
from sources.bankconnect.tables import TABLES
from tests import postgres
from tests.apiserver import API_KEY, SERVER_HASH, ApiServer, fixture
from tests.conftest import DOCS_ID, SEED_ID, query, table_counts

DOCS = Path(__file__).resolve().parent.parent / "docs" / "warehouses.md"


class Api(NamedTuple):
    base_url: str
    session_ids: List[str]


def serve_fixtures(api: ApiServer) -> Api:
    return Api(api.documented().base_url, [SEED_ID, DOCS_ID])


@pytest.fixture
def bank_api() -> Iterator[Api]:
    """The two hand-checked fixture sessions plus synthetic ones from the simulator when it is present."""
    try:
        from simulator import Simulator, build_catalog
    except ImportError:
        server = ApiServer().start()
        yield serve_fixtures(server)
        server.stop()
        return
    catalog = build_catalog(n_sessions=6, seed=29, lifecycle=False, months=(3, 6), txn_per_month=(5, 15))
    generated = catalog.session_ids()
    catalog.add_session(SEED_ID, orjson.loads(fixture("seed_session_status.json")), fixture("seed_insights.json"))
    catalog.add_session(DOCS_ID, orjson.loads(fixture("docs_session_status_completed.json")),
                        fixture("docs_insights.json"))
    with Simulator(catalog, api_key=API_KEY, server_hash=SERVER_HASH) as sim:
        yield Api(sim.base_url + "/bank-connect/v1", [SEED_ID, DOCS_ID, *generated])


def trimmed_seed() -> dict:
    """The seed session re-processed: its fraud flag gone and one transaction fewer."""
    doc = orjson.loads(fixture("seed_insights.json"))
    doc["accounts"][0]["data"]["fraud"] = []
    doc["accounts"][0]["data"]["transactions"] = doc["accounts"][0]["data"]["transactions"][:1]
    return doc


# --- state folders -----------------------------------------------------------------------------


def test_state_folder_is_per_target_and_ignores_the_password(monkeypatch, tmp_path):
    def folder(dsn: str) -> Path:
        monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", dsn)
        return destination_state_dir("postgres")

    a = folder("postgresql://loader:secret-one@db.example:5432/bank")
    assert a.parent == tmp_path / "dlt-data" / "pipelines" and a.name.startswith("postgres-")
    assert folder("postgresql://loader:secret-two@db.example:5432/bank") == a
    assert folder("postgresql://loader:secret-one@db.example:5432/other") != a
    assert folder("postgresql://loader:secret-one@db2.example:5432/bank") != a
    monkeypatch.delenv("DLT_DATA_DIR")
    assert folder("postgresql://loader:secret-one@db.example:5432/bank") == \
        Path.home() / ".bankconnect" / "pipelines" / a.name


def test_unknown_destination_is_a_config_error(api):
    with pytest.raises(ConfigError, match="unknown dlt destination 'nowhere'"):
        run_load([SEED_ID], destination="nowhere", base_url=api.base_url)


def test_missing_postgres_credentials_name_the_setting(api, monkeypatch):
    serve_fixtures(api)
    monkeypatch.delenv("DESTINATION__POSTGRES__CREDENTIALS", raising=False)
    with pytest.raises(ConfigError, match="set DESTINATION__POSTGRES__CREDENTIALS"):
        run_load([SEED_ID], destination="postgres", base_url=api.base_url)
    result = CliRunner().invoke(cli, ["models", "--destination", "postgres"])
    assert result.exit_code == 2 and "DESTINATION__POSTGRES__CREDENTIALS" in result.output


# --- filesystem: Parquet files, one set per load --------------------------------------------------


def parquet(bucket: Path, table: str):
    return ds.dataset(bucket / "bankconnect" / table, format="parquet").to_table()


def docs_current_rows_sql() -> str:
    """The DuckDB SQL docs/warehouses.md gives for reading the current rows of a filesystem load."""
    text = DOCS.read_text(encoding="utf-8")
    match = re.search(r"```sql\n(-- current rows of a filesystem load.*?)```", text, re.S)
    assert match, "docs/warehouses.md lost its current-rows SQL"
    return match.group(1)


@pytest.fixture
def bucket(monkeypatch, tmp_path) -> Path:
    monkeypatch.setenv("DESTINATION__FILESYSTEM__BUCKET_URL", str(tmp_path / "out"))
    return tmp_path / "out"


def test_filesystem_writes_parquet_of_every_table_with_exact_types(api, bucket, db_path):
    ids = serve_fixtures(api).session_ids
    summary = run_load(ids, destination="filesystem", base_url=api.base_url)
    run_load(ids, duckdb_path=db_path, base_url=api.base_url)
    assert summary.sessions == {"completed": 2} and summary.database == "filesystem"
    counts = table_counts(db_path)
    assert {t: parquet(bucket, t).num_rows for t in counts} == counts
    transactions = parquet(bucket, "transactions").to_pylist()
    seed = sorted((r for r in transactions if r["session_id"] == SEED_ID), key=lambda r: r["seq"])
    assert [(r["date"], r["amount"], r["balance"]) for r in seed] == query(
        db_path, "select date, amount, balance from bankconnect.transactions where session_id = ? order by seq",
        SEED_ID) == [(date(2023, 11, 5), Decimal("6500.00"), Decimal("6500.94")),
                     (date(2023, 12, 15), Decimal("10890.00"), Decimal("10955.62"))]
    assert str(parquet(bucket, "eod_balances").schema.field("balance").type) == "decimal128(18, 2)"
    assert {r["_dlt_load_id"] for r in transactions} == set(summary.load_ids)


def test_filesystem_picks_up_pending_sessions_from_the_latest_sessions_row(api, bucket):
    # append-only files hold every sessions row ever written: the latest one per session decides
    api.session("wait", fixture("seed_session_status.json"), insights_error=(400, "PROCESSING_NOT_COMPLETED"))
    assert run_load(["wait"], destination="filesystem", base_url=api.base_url).sessions == {"pending": 1}
    assert run_load([], destination="filesystem", base_url=api.base_url).sessions == {"pending": 1}
    api.session("wait", fixture("seed_session_status.json"), fixture("seed_insights.json"))
    assert run_load([], destination="filesystem", base_url=api.base_url).sessions == {"completed": 1}
    assert run_load([], destination="filesystem", base_url=api.base_url).sessions == {}
    assert parquet(bucket, "sessions").num_rows == 3  # pending, pending, completed: nothing since
    assert api.hits["/bank-connect/v1/session_data/wait/session_status/"] == 3


def test_filesystem_rerun_appends_and_the_documented_sql_reads_current_rows(api, bucket, db_path):
    ids = serve_fixtures(api).session_ids
    run_load(ids, destination="filesystem", base_url=api.base_url)
    first = {t: parquet(bucket, t).num_rows for t in ("sessions", "transactions", "fraud")}
    api.session(SEED_ID, fixture("seed_session_status.json"), trimmed_seed())
    run_load(ids, destination="filesystem", base_url=api.base_url)
    run_load(ids, duckdb_path=db_path, base_url=api.base_url)

    # files only ever grow: the second load's rows sit beside the first's (documented)
    assert {t: parquet(bucket, t).num_rows for t in first} == {
        "sessions": 2 * first["sessions"], "transactions": 2 * first["transactions"] - 1, "fraud": first["fraud"]}
    pipeline, _ = make_pipeline(destination="filesystem")
    assert remove_replaced_rows(pipeline, ids) == 0

    # the docs' SQL gives exactly the rows the DuckDB load (merge) holds
    con = duckdb.connect()
    con.execute(docs_current_rows_sql())  # runs in tmp_path (conftest): the docs read out/bankconnect/...
    current = {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in ("sessions", "transactions", "fraud")}
    merged = table_counts(db_path)  # loaded after the change: fraud never had rows there
    assert current == {t: merged.get(t, 0) for t in current}
    assert current["fraud"] == 0 and current["transactions"] == 3
    assert con.execute("select amount from transactions where session_id = ?", [SEED_ID]).fetchall() == [
        (Decimal("6500.00"),)]


# --- PostgreSQL ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def postgres_admin():
    """A connection to BANKCONNECT_TEST_POSTGRES_DSN (a role that may CREATE DATABASE); skips without one."""
    if not postgres.DSN:
        pytest.skip(postgres.needs_postgres.kwargs["reason"])
    con = postgres.connect()
    yield con
    con.close()


@pytest.fixture
def new_database(postgres_admin):
    """Creates scratch databases (dropped afterwards); returns their DSNs."""
    created = []

    def create() -> str:
        name = f"bankconnect_test_{uuid.uuid4().hex[:12]}"
        with postgres_admin.cursor() as cur:
            cur.execute(f"create database {name}")
        created.append(name)
        return postgres.with_database(postgres.DSN, name)

    yield create
    with postgres_admin.cursor() as cur:
        for name in created:
            drop_scratch_database(cur, name)


@pytest.fixture
def pg(new_database, monkeypatch):
    """A fresh database that dlt's config points at: DESTINATION__POSTGRES__CREDENTIALS."""
    dsn = new_database()
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", dsn)
    return dsn


def pg_rows(dsn: str, sql: str, *params) -> List[tuple]:
    import psycopg2

    con = psycopg2.connect(dsn)
    try:
        with con.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()
    finally:
        con.close()


def pg_counts(dsn: str) -> Dict[str, int]:
    names = [r[0] for r in pg_rows(dsn, "select table_name from information_schema.tables "
                                        "where table_schema = 'bankconnect' and table_name not like '\\_dlt%%'")]
    return {n: pg_rows(dsn, f'select count(*) from bankconnect."{n}"')[0][0] for n in sorted(names)}


def test_postgres_load_keeps_exact_values_and_reruns_replace(api, pg, db_path, tmp_path):
    ids = serve_fixtures(api).session_ids
    summary = run_load(ids, destination="postgres", base_url=api.base_url)
    assert summary.sessions == {"completed": 2} and summary.database == "postgres"
    assert pg_rows(pg, "select data_type, numeric_precision, numeric_scale from information_schema.columns "
                       "where table_schema = 'bankconnect' and table_name = 'transactions' "
                       "and column_name = 'amount'") == [("numeric", 18, 2)]
    assert pg_rows(pg, "select date, transaction_type, amount, balance from bankconnect.transactions "
                       "where session_id = %s order by seq", SEED_ID) == [
        (date(2023, 11, 5), "credit", Decimal("6500.00"), Decimal("6500.94")),
        (date(2023, 12, 15), "credit", Decimal("10890.00"), Decimal("10955.62"))]
    assert pg_rows(pg, "select date, balance from bankconnect.eod_balances where session_id = %s "
                       "and date in ('2023-11-01', '2023-11-30') order by date", SEED_ID) == [
        (date(2023, 11, 1), Decimal("320772.41")), (date(2023, 11, 30), Decimal("-404187.89"))]
    assert pg_rows(pg, "select balance from bankconnect.eod_balances where session_id = %s "
                       "and date = '2025-08-11'", DOCS_ID) == [(Decimal("5.00"),)]
    assert pg_rows(pg, "select error_code is null, payload_session_id from bankconnect.sessions "
                       "where session_id = %s", SEED_ID) == [(True, "fdf6fe90-c1a0-41f7-964f-bb2425975309")]

    first = pg_counts(pg)
    run_load(ids, duckdb_path=db_path, base_url=api.base_url)
    assert first == table_counts(db_path)
    run_load(ids, destination="postgres", base_url=api.base_url)
    assert pg_counts(pg) == first  # merge on session_id: a re-run never duplicates

    api.session(SEED_ID, fixture("seed_session_status.json"), trimmed_seed())
    run_load([SEED_ID], destination="postgres", base_url=api.base_url)
    assert pg_rows(pg, "select count(*) from bankconnect.fraud") == [(0,)]  # removed via sessions.data_load_id
    assert pg_rows(pg, "select count(*) from bankconnect.transactions where session_id = %s", SEED_ID) == [(1,)]

    password = urlsplit(pg).password.encode()
    state = [p for p in (tmp_path / "dlt-data").rglob("*") if p.is_file()]
    assert state and not [p for p in state if password in p.read_bytes()]  # local state holds no password


# columns whose value is the moment of the load (two loads never share it)
LOAD_MOMENT = {"first_seen_at", "last_checked_at", "data_loaded_at", "data_load_id", "fetched_at"}


def contract_rows(fetch, table: str) -> List[tuple]:
    """Every row of a raw table in its contract columns but the load moments, bytea as bytes, sorted."""
    columns = [c for c in TABLES[table].column_names if c not in LOAD_MOMENT]
    rows = fetch(f"select {', '.join(columns)} from bankconnect.{table}")
    return sorted((tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in rows), key=repr)


@pytest.mark.parametrize("adbc, file_format", [(True, "parquet"), (False, "insert_values")],
                         ids=["adbc-parquet-copy", "inserts-without-adbc"])
def test_postgres_load_keeps_empty_strings_nulls_bytes_and_types(api, pg, db_path, monkeypatch, adbc, file_format):
    if not adbc:  # dlt's own switch; also what a PostgreSQL without adbc-driver-postgresql gets
        monkeypatch.setenv("DISABLE_ADBC_DETECTION", "true")
    ids = serve_fixtures(api).session_ids
    run_load(ids, destination="postgres", base_url=api.base_url)
    run_load(ids, duckdb_path=db_path, base_url=api.base_url)
    pipeline, _ = make_pipeline(destination="postgres")
    jobs = pipeline.last_trace.last_load_info.load_packages[0].jobs["completed_jobs"]
    formats = {job.job_file_info.table_name: job.job_file_info.file_format for job in jobs}
    assert {formats[t] for t in formats if t in TABLES} == {file_format}

    # '' stays '' and null stays null, in the same string column
    assert pg_rows(pg, "select session_id, chq_num, email from bankconnect.transactions "
                       "join bankconnect.account_details using (session_id, account_id) "
                       "where seq = 0 order by session_id") == [(DOCS_ID, "", ""), (SEED_ID, None, None)]
    # numeric(18,2) with its two places, a date, a timestamp from the payload (UTC)
    assert pg_rows(pg, "select amount::text, date, balance from bankconnect.transactions "
                       "where session_id = %s and seq = 1", SEED_ID) == [
        ("10890.00", date(2023, 12, 15), Decimal("10955.62"))]
    assert pg_rows(pg, "select created_at at time zone 'UTC' from bankconnect.accounts "
                       "where session_id = %s", DOCS_ID) == [(datetime(2025, 11, 13, 6, 48, 44),)]
    assert pg_rows(pg, "select table_name, column_name, data_type from information_schema.columns "
                       "where table_schema = 'bankconnect' and (table_name, column_name) in "
                       "(('raw_payloads', 'payload_zstd'), ('accounts', 'created_at'), ('transactions', 'date')) "
                       "order by 1") == [("accounts", "created_at", "timestamp with time zone"),
                                         ("raw_payloads", "payload_zstd", "bytea"), ("transactions", "date", "date")]
    # raw documents as bytea, byte for byte what the API sent once zstd is undone
    raw = {kind: pa.decompress(bytes(payload), size, codec="zstd", asbytes=True) for kind, size, payload in pg_rows(
        pg, "select kind, size_bytes, payload_zstd from bankconnect.raw_payloads where session_id = %s", SEED_ID)}
    assert raw == {"session_status": fixture("seed_session_status.json"), "insights": fixture("seed_insights.json")}

    # and every other value of every raw table is the one DuckDB holds
    loaded = pg_counts(pg)
    assert loaded == table_counts(db_path) and loaded["transactions"] == 4
    con = duckdb.connect(db_path, read_only=True)
    try:
        for table in loaded:
            assert contract_rows(lambda sql: pg_rows(pg, sql), table) == \
                contract_rows(lambda sql: con.execute(sql).fetchall(), table), table
    finally:
        con.close()


def normalised(rows: List[tuple]) -> List[tuple]:
    """Rows comparable across engines: numbers as Decimal to 6 places, timestamps in UTC, sorted."""
    def value(v):
        if isinstance(v, bool) or v is None:
            return v
        if isinstance(v, (int, float, Decimal)):
            return Decimal(str(v)).quantize(Decimal("0.000001"))
        if isinstance(v, datetime):
            return v.astimezone(timezone.utc) if v.tzinfo else v
        return v

    return sorted((tuple(value(v) for v in row) for row in rows), key=repr)


def test_models_on_postgres_equal_duckdb_row_for_row(bank_api, pg, db_path):
    runner = CliRunner()
    ids = bank_api.session_ids
    result = runner.invoke(cli, ["load", *ids, "--destination", "postgres", "--base-url", bank_api.base_url, "--json"])
    assert result.exit_code == 0, result.output
    run_load(ids, duckdb_path=db_path, base_url=bank_api.base_url)
    assert pg_counts(pg) == table_counts(db_path)

    result = runner.invoke(cli, ["models", "--destination", "postgres"])
    assert result.exit_code == 0, result.output
    assert "models in schema analytics" in result.output and "account_monthly" in result.output
    duck = build_models(db_path)
    con = duckdb.connect(db_path, read_only=True)
    try:
        for table in ("account_monthly", "account_summary", "category_monthly", "session_summary"):
            # every column but the load times (the two loads ran at different moments)
            columns = [r[0] for r in con.execute(
                "select column_name from information_schema.columns where table_schema = 'analytics' "
                "and table_name = ? and data_type not like 'TIMESTAMP%' order by ordinal_position",
                [table]).fetchall()]
            select = f"select {', '.join(columns)} from analytics.{table}"
            expected = normalised(con.execute(select).fetchall())
            assert normalised(pg_rows(pg, select)) == expected, table
            assert expected, table
    finally:
        con.close()
    assert pg_rows(pg, "select count(distinct session_id) from analytics.account_monthly") == [(len(ids),)]

    # a second build replaces the first; its data-quality counts are DuckDB's
    again = build_models_on("postgres")
    assert again.dq == duck.dq and again.model("account_monthly").row_count == duck.model("account_monthly").row_count


def test_failed_postgres_build_keeps_the_previous_one(api, pg, tmp_path):
    run_load(serve_fixtures(api).session_ids, destination="postgres", base_url=api.base_url)
    build_models_on("postgres")
    before = pg_rows(pg, "select count(*) from analytics.account_monthly")
    broken = tmp_path / "models" / "marts"
    broken.mkdir(parents=True)
    (broken / "account_monthly.sql").write_text(
        "-- grain: session_id\nselect session_id, date from bankconnect.transactions\n")
    with pytest.raises(ModelTestError, match="grain"):
        build_models_on("postgres", sql_path=tmp_path / "models")
    assert pg_rows(pg, "select count(*) from analytics.account_monthly") == before
    assert pg_rows(pg, "select count(*) from information_schema.views where table_schema = 'analytics'")[0][0] > 10


def test_two_postgres_databases_do_not_share_state(api, new_database, monkeypatch):
    serve_fixtures(api)
    api.session("wait", fixture("seed_session_status.json"), insights_error=(400, "PROCESSING_NOT_COMPLETED"))
    a, b = new_database(), new_database()
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", a)
    assert run_load(["wait"], destination="postgres", base_url=api.base_url).sessions == {"pending": 1}
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", b)
    assert run_load([], destination="postgres", base_url=api.base_url).sessions == {}  # b never heard of 'wait'
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", a)
    assert run_load([], destination="postgres", base_url=api.base_url).sessions == {"pending": 1}


def test_postgres_errors_never_show_the_password(api, pg, monkeypatch):
    serve_fixtures(api)
    wrong = "Wr0ng-" + uuid.uuid4().hex
    parts = urlsplit(pg)
    bad = urlunsplit(parts._replace(netloc=f"{parts.username}:{wrong}@{parts.hostname}:{parts.port or 5432}"))
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", bad)
    with pytest.raises(LoadError) as failed:
        run_load([SEED_ID], destination="postgres", base_url=api.base_url)
    assert "password authentication failed" in str(failed.value) and wrong not in str(failed.value)
    result = CliRunner().invoke(cli, ["models", "--destination", "postgres"])
    assert result.exit_code == 1 and "cannot connect to PostgreSQL" in result.output
    assert wrong not in result.output
