"""The naive dlt pipeline: one resource yields each raw insights document as parsed JSON; dlt's default
normalizer (nested tables, inferred columns) and default DuckDB loader (insert_values) do the rest.

`python -m benchmarks.naive --ids-file IDS --base-url URL --db PATH`; prints {"seconds", "rows"}.
Credentials from the same environment variables as the real loader.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Iterator, List


def run(ids: List[str], base_url: str, db: str) -> dict:
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "WARNING")
    import dlt
    import requests

    headers = {"x-api-key": os.environ["SOURCES__BANKCONNECT__API_KEY"],
               "server-hash": os.environ["SOURCES__BANKCONNECT__SERVER_HASH"]}

    @dlt.resource(name="insights", write_disposition="append")
    def insights() -> Iterator[dict]:
        with requests.Session() as http:
            for sid in ids:
                response = http.get(f"{base_url}/session_data/{sid}/insights/", headers=headers, timeout=60)
                response.raise_for_status()
                yield response.json()

    started = time.perf_counter()
    db_path = Path(db).resolve()
    pipeline = dlt.pipeline(pipeline_name="naive", destination=dlt.destinations.duckdb(str(db_path)),
                            dataset_name="naive", pipelines_dir=str(db_path.parent / ".naive-dlt"))
    pipeline.run(insights())
    counts = pipeline.last_trace.last_normalize_info.row_counts
    rows = {t: n for t, n in sorted(counts.items()) if not t.startswith("_dlt")}
    return {"seconds": round(time.perf_counter() - started, 3), "rows": rows, "tables": len(rows),
            "total_rows": sum(rows.values())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ids-file", required=True, type=Path)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--db", required=True)
    args = parser.parse_args()
    ids = [line.strip() for line in args.ids_file.read_text().splitlines() if line.strip()]
    print(json.dumps(run(ids, args.base_url, args.db)))


if __name__ == "__main__":
    main()
