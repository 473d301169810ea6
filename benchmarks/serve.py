"""Serve pre-rendered payload files like the BankConnect API: `python -m benchmarks.serve --dir DIR`.

Uses the project's simulator HTTP server on 127.0.0.1 with a catalog that reads each answer from
status/<id>.json or insights/<id>.json (page cache after the first read). Prints one JSON line
{"base_url": ...} when ready and stops when its stdin closes (or after --max-seconds). --latency and
--throttle-every are the simulator's (seconds before every answer; every K-th request a 429).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
from collections import Counter
from pathlib import Path

from simulator.catalog import Catalog, error_response
from simulator.faults import FaultConfig
from simulator.generator import Shape
from simulator.server import Simulator

from .payloads import API_KEY, SERVER_HASH

_SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


class FileCatalog(Catalog):
    """Answers from files: a session exists when its status file does.

    GET <base>/_simulator/sessions (the simulator's catalog route) answers the number of requests
    served per endpoint instead, so the benchmark can check that a run fetched nothing.
    """

    def __init__(self, root: Path) -> None:
        super().__init__(seed=0, shape=Shape())
        self.root = root
        self.requests = Counter()

    def cases(self):
        with self._lock:
            return dict(self.requests)

    def respond(self, session_id: str, endpoint: str):
        with self._lock:
            self.requests[endpoint] += 1
        if not _SAFE_ID.fullmatch(session_id):
            return error_response("SESSION_NOT_FOUND")
        part = "status" if endpoint == "session_status" else "insights"
        try:
            return 200, (self.root / part / f"{session_id}.json").read_bytes()
        except (FileNotFoundError, OSError):
            return error_response("SESSION_NOT_FOUND")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", required=True, type=Path)
    parser.add_argument("--max-seconds", type=float, default=3600.0)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--throttle-every", type=int, default=0)
    args = parser.parse_args()
    faults = FaultConfig(latency=args.latency, throttle_every=args.throttle_every)
    with Simulator(FileCatalog(args.dir), api_key=API_KEY, server_hash=SERVER_HASH, faults=faults) as sim:
        print(json.dumps({"base_url": sim.base_url}), flush=True)
        done = threading.Event()
        threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
        done.wait(args.max_seconds)


if __name__ == "__main__":
    main()
