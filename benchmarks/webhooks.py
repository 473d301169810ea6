"""Webhook receiver under a burst: `python -m benchmarks.webhooks [--notifications 5000 --sessions 1000]`.

Starts a real `bankconnect serve` process, sends notifications for distinct sessions (duplicates, the
three event kinds) from 16 concurrent keep-alive clients, optionally kills the receiver with SIGKILL
once mid-burst and restarts it, and prints p50/p99 answer time and notifications per second. The
tests use the same receiver and burst helpers (tests/test_webhooks.py).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

EVENT_KINDS = ("ENRICHMENT_NOTIFICATION", "SESSION_REQUIREMENT_COMPLETION_NOTIFICATION", "SESSION_EXPIRY_NOTIFICATION")
WEBHOOK = "/webhooks/bankconnect"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    """A `bankconnect serve` child process on 127.0.0.1 (stdout and stderr kept in a log file)."""

    def __init__(self, duckdb_path: str, env: Dict[str, str], port: Optional[int] = None, log_path: str = "",
                 options: Sequence[str] = ()) -> None:
        self.duckdb_path, self.env, self.port, self.options = duckdb_path, env, port or free_port(), list(options)
        self.log_path = log_path or duckdb_path + ".serve.log"
        self.process: Optional[subprocess.Popen] = None

    def start(self, timeout: float = 30.0) -> "Receiver":
        log = open(self.log_path, "a")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pipelines.cli", "serve", "--port", str(self.port), "--duckdb", self.duckdb_path, *self.options],
            stdout=log, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"serve exited {self.process.returncode}: {open(self.log_path).read()[-500:]}")
            try:
                if self.get("/healthz")[0] == 200:
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("serve did not answer /healthz")

    def kill(self) -> None:
        """SIGKILL: no clean-up, no flush; what a crash or an OOM kill does."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def get(self, path: str) -> tuple:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()


@dataclass
class Sent:
    """One notification of a burst and what came back."""

    body: Dict
    status: int = 0  # 0: no answer (connection refused or reset)
    seconds: float = 0.0


@dataclass
class Burst:
    """The notifications of a burst, in sending order."""

    sent: List[Sent]
    seconds: float = 0.0
    latencies: List[float] = field(default_factory=list)

    def answered(self, status: int = 200) -> List[Sent]:
        return [s for s in self.sent if s.status == status]


def notifications(count: int, sessions: int, seed: int = 11) -> List[Dict]:
    """`count` notifications over `sessions` ids: every session at least once, the rest duplicates."""
    rng = random.Random(seed)
    ids = [f"wh-{i:05d}" for i in range(sessions)]
    picks = ids + [rng.choice(ids) for _ in range(count - sessions)]
    rng.shuffle(picks)
    out = []
    for n, sid in enumerate(picks):
        kind = EVENT_KINDS[rng.randrange(3)]
        body: Dict = {"event_name": kind, "session_id": sid, "nonce": n}
        if kind == EVENT_KINDS[0]:
            body.update(insights_available=True, accounts=[
                {"account_id": f"acc-{n}", "account_status": "completed", "error_code": None, "error_message": None,
                 "bank_name": "HDFC", "name": "ASHA KUMARI", "account_category": "individual",
                 "attempt_types": ["pdf"]}])
        else:
            body.update(message="done", accounts=[{"account_id": f"acc-{n}", "account_number": "XXXXXXXX1234"}])
        out.append(body)
    return out


def send_burst(port: int, bodies: List[Dict], secret: str, clients: int = 16,
               on_progress: Optional[Callable[[int], None]] = None) -> Burst:
    """Send every body once from `clients` keep-alive connections; a failed request is not retried."""
    burst = Burst([Sent(b) for b in bodies])
    next_index = iter(range(len(bodies)))
    lock = threading.Lock()
    done = [0]

    def client() -> None:
        conn = None
        while True:
            with lock:
                i = next(next_index, None)
            if i is None:
                break
            item = burst.sent[i]
            data = json.dumps(item.body).encode()
            started = time.perf_counter()
            try:
                conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("POST", WEBHOOK, data, {"x-secret-key": secret, "content-type": "application/json"})
                response = conn.getresponse()
                response.read()
                item.status = response.status
            except (OSError, http.client.HTTPException):  # the receiver died: this one failed; wait until it is back, then go on
                if conn is not None:
                    conn.close()
                conn = None
                _wait_until_listening(port)
            item.seconds = time.perf_counter() - started
            with lock:
                done[0] += 1
                count = done[0]
            if on_progress is not None:
                on_progress(count)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    burst.seconds = time.perf_counter() - started
    burst.latencies = sorted(s.seconds for s in burst.sent if s.status == 200)
    return burst


def _wait_until_listening(port: int, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)


def burst_with_crash(receiver: Receiver, bodies: List[Dict], secret: str, kill_at: float = 0.4) -> Burst:
    """A burst during which the receiver is SIGKILLed once (at `kill_at` of the way) and restarted."""
    restart = threading.Thread(target=lambda: (receiver.kill(), receiver.start()))

    def progress(count: int) -> None:
        if count == int(kill_at * len(bodies)):
            restart.start()

    burst = send_burst(receiver.port, bodies, secret, on_progress=progress)
    restart.join()
    return burst


def percentile(values: List[float], q: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main(argv: Optional[List[str]] = None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.webhooks", description=__doc__)
    p.add_argument("--notifications", type=int, default=5000)
    p.add_argument("--sessions", type=int, default=1000)
    p.add_argument("--crash", action="store_true", help="SIGKILL the receiver once mid-burst and restart it")
    args = p.parse_args(argv)
    secret = "bench-" + os.urandom(8).hex()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, SOURCES__BANKCONNECT__WEBHOOK_SECRET=secret, RUNTIME__DLTHUB_TELEMETRY="false")
        receiver = Receiver(os.path.join(tmp, "bank.duckdb"), env).start()
        try:
            bodies = notifications(args.notifications, args.sessions)
            burst = burst_with_crash(receiver, bodies, secret) if args.crash else send_burst(receiver.port, bodies, secret)
        finally:
            receiver.stop()
    ok = burst.latencies
    print(json.dumps({
        "notifications": len(bodies), "sessions": args.sessions, "clients": 16, "crash": args.crash,
        "answered_2xx": len(ok), "seconds": round(burst.seconds, 2),
        "notifications_per_second": round(len(ok) / burst.seconds, 1),
        "p50_ms": round(percentile(ok, 0.5) * 1000, 2), "p99_ms": round(percentile(ok, 0.99) * 1000, 2),
        "mean_ms": round(statistics.fmean(ok) * 1000, 2) if ok else None,
    }, indent=2))


if __name__ == "__main__":
    main()
