"""Personal data modes, stored documents and rebuild, purging deleted sessions, secrets nowhere."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from pipelines.load import run_load
from pipelines.rebuild import run_rebuild
from tests.apiserver import API_KEY, SERVER_HASH, fixture
from tests.conftest import DOCS_ID, SEED_ID, query, table_counts


def test_mask_mode_loads_masked_values_and_keeps_no_raw_documents(api, db_path):
    api.documented()
    run_load([DOCS_ID], duckdb_path=db_path, base_url=api.base_url, pii="mask")
    assert query(db_path, "select name, account_number, pan_number, dob from bankconnect.account_details") == [
        ("A*** K*****", "XXXXXXXXXXX2333", "XXXXXXXXXF", None)]
    assert query(db_path, "select transaction_note from bankconnect.transactions where seq = 1") == [
        ("UPI/P2A/268652272235/A*** K***** /UPI/INDIAN OVERSEAS BANK",)]
    assert "raw_payloads" not in table_counts(db_path)  # the documents hold what mask removed


def test_hash_mode_needs_a_key_and_is_stable(api, db_path, monkeypatch):
    from sources.bankconnect.errors import ConfigError

    api.documented()
    with pytest.raises(ConfigError, match="PII_HASH_KEY"):
        run_load([DOCS_ID], duckdb_path=db_path, base_url=api.base_url, pii="hash")
    monkeypatch.setenv("SOURCES__BANKCONNECT__PII_HASH_KEY", "k1-secret-for-hashing")
    run_load([DOCS_ID], duckdb_path=db_path, base_url=api.base_url, pii="hash")
    (account_number,), = query(db_path, "select account_number from bankconnect.account_details")
    assert account_number.startswith("h:") and len(account_number) == 18
    (from_accounts,), = query(db_path, "select name from bankconnect.accounts")
    assert query(db_path, "select name from bankconnect.account_details") == [(from_accounts,)]


def test_raw_documents_rebuild_identical_tables_and_apply_a_new_pii_mode(api, db_path):
    api.documented()
    run_load([SEED_ID, DOCS_ID], duckdb_path=db_path, base_url=api.base_url)
    loaded = table_counts(db_path)
    assert loaded["raw_payloads"] == 4
    before = api.hits.copy()
    summary = run_rebuild(db_path)
    assert api.hits == before  # no request: rebuilt from stored documents
    assert summary.sessions == {"completed": 2}
    assert table_counts(db_path) == loaded
    assert query(db_path, "select amount from bankconnect.transactions where session_id = ? order by seq",
                 SEED_ID)[1][0] == __import__("decimal").Decimal("10890.00")

    run_rebuild(db_path, [DOCS_ID], pii="mask")
    assert query(db_path, "select name from bankconnect.account_details where session_id = ?", DOCS_ID) == [
        ("A*** K*****",)]
    # the masked session no longer keeps its unmasked documents; the other one still does
    assert query(db_path, "select session_id, count(*) from bankconnect.raw_payloads group by 1") == [(SEED_ID, 2)]


def test_deleted_session_is_kept_by_default_and_purged_on_request(api, db_path):
    api.documented()
    run_load([SEED_ID, DOCS_ID], duckdb_path=db_path, base_url=api.base_url)
    api.session(SEED_ID, status_error=(410, "SESSION_DELETED"))
    run_load([SEED_ID], duckdb_path=db_path, base_url=api.base_url)
    assert query(db_path, "select status from bankconnect.sessions where session_id = ?", SEED_ID) == [("deleted",)]
    assert query(db_path, "select count(*) from bankconnect.transactions where session_id = ?", SEED_ID) == [(2,)]

    run_load([SEED_ID], duckdb_path=db_path, base_url=api.base_url, purge_deleted=True)
    counts = {t: query(db_path, f'select count(*) from bankconnect."{t}" where session_id = ?', SEED_ID)[0][0]
              for t in table_counts(db_path)}
    assert {t: n for t, n in counts.items() if n} == {"sessions": 1}
    assert query(db_path, "select count(*) from bankconnect.transactions where session_id = ?", DOCS_ID) == [(2,)]


def test_secrets_appear_nowhere(api, tmp_path):
    """load, models and export with a recognisable key: stdout, stderr and every file stay clean."""
    api.documented()
    api.session("bad", fixture("seed_session_status.json"), b"<html>not json</html>")
    env = dict(os.environ)
    db = str(tmp_path / "secret-check.duckdb")
    outputs = []
    for args in (["load", SEED_ID, DOCS_ID, "bad", "nope", "--duckdb", db, "--base-url", api.base_url, "--json"],
                 ["models", "--duckdb", db],
                 ["export", "--out", str(tmp_path / "export"), "--duckdb", db, "--tables", "transactions,raw_payloads"],
                 ["load", SEED_ID, "--duckdb", db, "--base-url", api.base_url + "/x"]):
        result = subprocess.run([sys.executable, "-m", "pipelines.cli", *args], capture_output=True, text=True,
                                env=env, timeout=180)
        outputs.append(result.stdout + result.stderr)
    assert "completed" in outputs[0] and "analytics" in outputs[1] and "Exported" in outputs[2]
    for text in outputs:
        assert API_KEY not in text and SERVER_HASH not in text
    scanned = 0
    for path in tmp_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            scanned += 1
            assert API_KEY.encode() not in data and SERVER_HASH.encode() not in data, path
    assert scanned > 10  # the database, dlt's state folder, the Parquet files
