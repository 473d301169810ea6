"""kill -9 at any point of a load, run the same command again: the tables end as if nothing happened.

A database holds an earlier load of 10 sessions. The next load (12 sessions: 2 new, 1 now deleted,
1 with fewer transactions, 1 that lost its predictors and eod balances, so stale rows must be
cleaned) is killed with SIGKILL by tests/crash_runner.py at one point (fetch, extract, normalize,
load, cleanup), then run again unchanged, or followed by a run without ids that only finishes
what is pending. The result must equal, row for row, the same load run without interruption: no
session lost, no row duplicated, nothing left pending. The scenarios run in parallel, each on a
copy of the first database. An incremental `models` build killed half way or just before it commits
leaves the previous build in place, and the next build completes it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Tuple

import duckdb
import orjson
import pytest

from simulator import Simulator, build_catalog
from tests.apiserver import API_KEY, SERVER_HASH
from tests.conftest import query
from tests.tablesums import table_checksums

RUNNER = Path(__file__).with_name("crash_runner.py")
DB_NAME = "bank.duckdb"

# name -> (kill points, one run each; the ids of the run that recovers: "same" as the killed
# runs, or "none": the next scheduled run, which only finishes what is pending).
SCENARIOS: Dict[str, Tuple[Tuple[str, ...], str]] = {
    "fetch": (("fetch",), "same"),
    "extract-write": (("extract-write",), "same"),
    "after-extract": (("after-extract",), "same"),
    "normalize": (("normalize",), "same"),
    "after-normalize": (("after-normalize",), "same"),
    "copy-before": (("copy-before",), "same"),
    "copy-after": (("copy-after",), "same"),
    "merge-before": (("merge-before",), "same"),
    "merge-after": (("merge-after",), "same"),
    "after-complete-load": (("after-complete-load",), "same"),
    "cleanup": (("cleanup",), "same"),
    "copy-after-then-merge-after-in-recovery": (("copy-after", "merge-after"), "same"),
    "copy-after/next-run-without-ids": (("copy-after",), "none"),
    "merge-after/next-run-without-ids": (("merge-after",), "none"),
    "cleanup/next-run-without-ids": (("cleanup",), "none"),
}

# dlt runs again, on resume, the copy jobs a kill interrupted, even those whose INSERT into the
# staging table had already committed: those rows reach the tables twice. Re-running the same
# command hides it (every session is fetched again and merged); a next run with other ids does
# not. Needed fix, in pipelines/load.py run_load: fetch again the sessions of the pending packages
# (same class of problem as dlt-hub/dlt#3023). Remove these marks with that fix.
RESUME_DUPLICATES = "resumed dlt copy jobs insert rows twice; run_load must re-fetch the pending packages' sessions"
KNOWN_ISSUES: dict = {}


@dataclass
class Outcome:
    kills: List[Tuple[int, str]] = field(default_factory=list)  # (return code, marker) per killed run
    final_rc: int = 0
    final_out: str = ""
    sums: Dict[str, tuple] = field(default_factory=dict)


def runner_env(dlt_data: Path) -> Dict[str, str]:
    env = dict(os.environ)
    env.update({
        "SOURCES__BANKCONNECT__API_KEY": API_KEY, "SOURCES__BANKCONNECT__SERVER_HASH": SERVER_HASH,
        "SOURCES__BANKCONNECT__BACKOFF_FACTOR": "0", "SOURCES__BANKCONNECT__MAX_ATTEMPTS": "3",
        "SOURCES__BANKCONNECT__BATCH_ROWS": "1",  # one batch per session: kills land between batches
        "DLT_DATA_DIR": str(dlt_data), "RUNTIME__DLTHUB_TELEMETRY": "false",
    })
    env.pop("SOURCES__BANKCONNECT__BASE_URL", None)
    return env


def run(folder: Path, base_url: str, ids: List[str], kill: str = "") -> subprocess.CompletedProcess:
    args = [sys.executable, str(RUNNER), "--db", str(folder / DB_NAME), "--base-url", base_url, "--ids", ",".join(ids)]
    if kill:
        args += ["--kill", kill, "--marker", str(folder / "killed_at")]
    return subprocess.run(args, cwd=folder, env=runner_env(folder / "dlt-data"), capture_output=True, text=True,
                          timeout=120)


def change_sessions(catalog, ids: List[str]) -> None:
    """The second load sees: ids[0] without predictors/eod_balances, ids[1] with 3 transactions per
    account, ids[2] deleted."""
    def docs(sid):
        return tuple(orjson.loads(catalog.respond(sid, kind)[1]) for kind in ("session_status", "insights"))

    status, insights = docs(ids[0])
    for account in insights["accounts"]:
        account["data"].pop("predictors")
        account["data"].pop("eod_balances")
    catalog.add_session(ids[0], status_payload=status, insights_payload=insights)
    status, insights = docs(ids[1])
    for account in insights["accounts"]:
        account["data"]["transactions"] = account["data"]["transactions"][:3]
    catalog.add_session(ids[1], status_payload=status, insights_payload=insights)
    catalog.add_session(ids[2], error=(410, "SESSION_DELETED"))


@pytest.fixture(scope="module")
def crashes(tmp_path_factory):
    """Every scenario run once (in parallel: each has its own database), plus the reference."""
    root = tmp_path_factory.mktemp("crash")
    catalog = build_catalog(n_sessions=12, seed=5, accounts=(1, 2), months=(3, 4), txn_per_month=(5, 10),
                            lifecycle=False)
    ids = catalog.session_ids()
    with Simulator(catalog, api_key=API_KEY, server_hash=SERVER_HASH) as sim:
        base_url = sim.base_url + "/bank-connect/v1"
        snapshot = root / "snapshot"
        snapshot.mkdir()
        first = run(snapshot, base_url, ids[:10])
        assert first.returncode == 0, first.stderr[-3000:]
        before = table_checksums(str(snapshot / DB_NAME))
        change_sessions(catalog, ids)

        def scenario(name: str) -> Outcome:
            folder = root / name.replace("/", "_")
            shutil.copytree(snapshot, folder)
            outcome = Outcome()
            kills, recover = SCENARIOS.get(name, ((), "same"))
            for kill in kills:
                done = run(folder, base_url, ids, kill)
                marker = folder / "killed_at"
                outcome.kills.append((done.returncode, marker.read_text() if marker.exists() else done.stderr[-3000:]))
                marker.unlink(missing_ok=True)
            done = run(folder, base_url, ids if recover == "same" else [])
            outcome.final_rc, outcome.final_out = done.returncode, done.stdout if done.returncode == 0 else done.stderr[-3000:]
            if done.returncode == 0:
                outcome.sums = table_checksums(str(folder / DB_NAME))
            return outcome

        with ThreadPoolExecutor(max_workers=3) as pool:
            outcomes = dict(zip(["reference", *SCENARIOS], pool.map(scenario, ["reference", *SCENARIOS])))
    return {"ids": ids, "root": root, "before": before, "outcomes": outcomes}


def test_reference_run_changes_what_it_should(crashes):
    ids, reference = crashes["ids"], crashes["outcomes"]["reference"]
    assert reference.final_rc == 0, reference.final_out
    assert orjson.loads(reference.final_out)["sessions"] == {"completed": 11, "deleted": 1}
    assert reference.sums != crashes["before"]
    db = str(crashes["root"] / "reference" / DB_NAME)
    assert query(db, "select count(*) from bankconnect.sessions") == [(12,)]
    assert query(db, "select count(*) from bankconnect.predictors where session_id = ?", ids[0]) == [(0,)]
    assert query(db, "select count(*) from bankconnect.eod_balances where session_id = ?", ids[0]) == [(0,)]
    assert query(db, "select count(*) from bankconnect.transactions where session_id = ? and seq >= 3", ids[1]) == [(0,)]
    assert query(db, "select status from bankconnect.sessions where session_id = ?", ids[2]) == [("deleted",)]


@pytest.mark.parametrize("name", [pytest.param(n, marks=KNOWN_ISSUES.get(n, ())) for n in SCENARIOS])
def test_killed_load_run_again_ends_identical(crashes, name):
    outcome, reference = crashes["outcomes"][name], crashes["outcomes"]["reference"]
    expected_kills = [(-signal.SIGKILL, point) for point in SCENARIOS[name][0]]
    assert outcome.kills == expected_kills  # each run died where it was meant to
    assert outcome.final_rc == 0, outcome.final_out
    assert outcome.sums == reference.sums
    folder = crashes["root"] / name.replace("/", "_")
    # nothing stuck: no package left pending, no session waiting for a retry
    from pipelines.runtime import make_pipeline
    from pipelines.session_record import pending_sessions

    pipeline, _ = make_pipeline(str(folder / DB_NAME))
    assert not pipeline.has_pending_data
    assert pending_sessions(pipeline) == []


# --- models --------------------------------------------------------------------------------------


def build_models_in(folder: Path, kill: str = "") -> subprocess.CompletedProcess:
    args = [sys.executable, str(RUNNER), "--db", str(folder / DB_NAME), "--models"]
    if kill:
        args += ["--kill", kill, "--marker", str(folder / "killed_at")]
    return subprocess.run(args, cwd=folder, env=runner_env(folder / "dlt-data"), capture_output=True, text=True,
                          timeout=120)


def model_tables(db: str, schema: str = "analytics") -> Dict[str, list]:
    """Every row of every mart and check (and the build log), sorted: what a reader of the models sees."""
    con = duckdb.connect(db, read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = ? and table_type = 'BASE TABLE' "
            "and table_name not in ('_builds', '_build_sessions')", [schema]).fetchall()]
        return {t: sorted(map(repr, con.execute(f'select * from {schema}."{t}"').fetchall())) for t in tables}
    finally:
        con.close()


@pytest.mark.parametrize("point", ["models-statement", "models-record"])
def test_killed_incremental_models_keep_the_previous_build_and_the_next_completes(tmp_path, point):
    catalog = build_catalog(n_sessions=6, seed=5, accounts=(1, 2), months=(3, 4), txn_per_month=(5, 10),
                            lifecycle=False)
    ids = catalog.session_ids()
    db = str(tmp_path / DB_NAME)
    with Simulator(catalog, api_key=API_KEY, server_hash=SERVER_HASH) as sim:
        base_url = sim.base_url + "/bank-connect/v1"
        assert run(tmp_path, base_url, ids[:4]).returncode == 0
        assert build_models_in(tmp_path).returncode == 0
        previous = model_tables(db)
        assert run(tmp_path, base_url, ids[4:]).returncode == 0

    killed = build_models_in(tmp_path, point)
    assert (killed.returncode, (tmp_path / "killed_at").read_text()) == (-signal.SIGKILL, point)
    assert model_tables(db) == previous  # the kill left the previous build as it was
    assert query(db, "select build_id, is_full_refresh from analytics._builds") == [(1, True)]

    done = build_models_in(tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert orjson.loads(done.stdout)["changed_sessions"] == 2  # the two new sessions, built incrementally
    from pipelines.models import build_models

    build_models(db, schema="analytics_full", full_refresh=True)
    assert model_tables(db) == model_tables(db, "analytics_full")
    assert len(model_tables(db)["session_summary"]) == 6
