"""`python -m benchmarks.report_page` (part of `make bench`): size and write time of a report page.

One simulated session of 3 accounts over 12 months is loaded and modelled; then `write_report` draws
it 5 times (the first also writes report.js). Prints the page size and the median write time.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

RUNS = 5


def main() -> None:
    from pipelines.load import run_load
    from pipelines.models import build_models
    from pipelines.report import write_report
    from simulator import Simulator, build_catalog

    key, server_hash = "bench-report-key", "bench-report-hash"
    os.environ.update(SOURCES__BANKCONNECT__API_KEY=key, SOURCES__BANKCONNECT__SERVER_HASH=server_hash)
    catalog = build_catalog(n_sessions=1, seed=12, accounts=(3, 3), months=(12, 12), lifecycle=False)
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bank.duckdb")
        with Simulator(catalog, api_key=key, server_hash=server_hash) as sim:
            run_load(catalog.session_ids(), duckdb_path=db, base_url=sim.base_url + "/bank-connect/v1")
        build_models(db)
        seconds = []
        for _ in range(RUNS):
            started = time.perf_counter()
            result = write_report(db, str(Path(tmp) / "report"))
            seconds.append(time.perf_counter() - started)
        (page,) = result.pages.values()
        asset = result.out_dir / "report.js"
        print(f"report page, 1 session x 3 accounts x 12 months: {page.stat().st_size / 1e6:.2f} MB, "
              f"written in {statistics.median(seconds):.3f} s (median of {RUNS}; first {seconds[0]:.3f} s "
              f"with report.js {asset.stat().st_size / 1e6:.1f} MB, written once per folder)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
