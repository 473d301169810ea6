"""`bankconnect serve`: the webhook receiver on uvicorn, optionally loading the queue every N seconds."""

from __future__ import annotations

import ipaddress
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from sources.bankconnect.errors import ConfigError

from . import inbox
from .receiver import DEFAULT_SECRET_HEADER, GroupCommitWriter, WebhookApp
from .runlock import RunTarget

EXIT_BUSY = 4


def webhook_settings() -> Tuple[Optional[str], str]:
    """(secret, header name) from dlt config: SOURCES__BANKCONNECT__WEBHOOK_SECRET and ..._SECRET_HEADER."""
    import dlt

    from .runtime import apply_dlt_defaults

    apply_dlt_defaults()
    secret = dlt.secrets.get("sources.bankconnect.webhook_secret")
    header = dlt.config.get("sources.bankconnect.webhook_secret_header")
    return (str(secret) if secret else None), str(header or DEFAULT_SECRET_HEADER)


def parse_interval(text: str) -> float:
    """Seconds from "60", "60s", "5m" or "1h" (at least 1 s)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text or "")
    if not match or float(match.group(1)) * _UNIT_SECONDS[match.group(2)] < 1:
        raise ConfigError(f"invalid interval {text!r}: use seconds (60, 60s) or minutes (5m), at least 1 s")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600}


def check_exposure(host: str, secret: Optional[str]) -> None:
    """Refuse to listen beyond loopback without a secret (anyone could queue loads)."""
    if secret:
        return
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ConfigError(f"refusing to listen on {host} without a webhook secret: set "
                          "SOURCES__BANKCONNECT__WEBHOOK_SECRET (environment or .dlt/secrets.toml) or use --host 127.0.0.1")


def serve(target: RunTarget, host: str, port: int, load_command: Optional[List[str]] = None,
          load_every: Optional[float] = None) -> None:
    """Receive webhooks until stopped (SIGINT/SIGTERM).

    Args:
        target: the database (or destination) whose inbox receives the notifications.
        host, port: where to listen.
        load_command: the `bankconnect load` command line for --load-every.
        load_every: seconds between micro-batch loads, run when a session was queued or a notification
            arrived since the last load (None: never; cron or an operator runs loads).
    """
    import uvicorn

    secret, header = webhook_settings()
    check_exposure(host, secret)
    path = inbox.inbox_path(target.working_dir)
    writer = GroupCommitWriter(path).start()
    app = WebhookApp(writer, path, secret, header)
    stop = threading.Event()
    if load_every and load_command:
        threading.Thread(target=_load_loop, args=(load_command, load_every, stop, path), name="load-every",
                         daemon=True).start()
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, lifespan="on")
    finally:
        stop.set()


def _load_loop(command: List[str], every: float, stop: threading.Event, inbox_file: Path) -> None:
    """Run `bankconnect load` when something arrived (a child process: it takes the run lock, opens and
    closes the database)."""
    while not stop.wait(every):
        if not _anything_new(inbox.stats_at(inbox_file)):
            continue
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode == EXIT_BUSY:
            continue  # another run holds the database: this tick is skipped, the queue waits
        if result.returncode != 0:
            print(f"load-every: load exited {result.returncode}: {result.stderr.strip()[-300:]}", file=sys.stderr)


def _anything_new(stats: Dict[str, Any]) -> bool:
    """Whether a session is queued or a notification arrived after the last load started."""
    last_load, last_event = stats["last_load"], stats["last_event_at"]
    if stats["queue_depth"]:
        return True
    return last_event is not None and (last_load is None or last_event > last_load["started_at"])
