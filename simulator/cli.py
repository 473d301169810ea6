"""The `bankconnect simulate` command: serve a synthetic catalog until Ctrl-C."""

from __future__ import annotations

import os
import signal
import time

import click

from .catalog import build_catalog
from .faults import KINDS, FaultConfig
from .server import Simulator

API_PATH = "/bank-connect/v1"
_SHOWN_IDS = 3


@click.command("simulate")
@click.option("--port", default=8585, show_default=True, type=click.IntRange(0, 65535),
              help="Port on 127.0.0.1 (0 picks a free one).")
@click.option("--sessions", default=40, show_default=True, type=click.IntRange(1), help="Number of synthetic sessions.")
@click.option("--seed", default=7, show_default=True, type=int, help="Same seed, same sessions and data.")
@click.option("--fault-rate", default=0.0, show_default=True, type=click.FloatRange(0.0, 1.0),
              help="Probability that an API request fails.")
@click.option("--fault-kinds", default=",".join(KINDS), show_default=True,
              help="Comma-separated failures to inject.")
@click.option("--throttle-every", default=0, show_default=True, type=click.IntRange(0),
              help="Answer every K-th API request 429 with Retry-After: 1 (2: a 429 storm; 0: off).")
@click.option("--latency", default=0.0, show_default=True, type=click.FloatRange(0.0),
              help="Seconds to wait before every API answer (like an API across the internet).")
@click.option("--prerender", is_flag=True, help="Render every payload before serving (slower start, faster answers).")
def simulate(port: int, sessions: int, seed: int, fault_rate: float, fault_kinds: str, throttle_every: int,
             latency: float, prerender: bool) -> None:
    """Serve synthetic BankConnect sessions on 127.0.0.1 until Ctrl-C.

    Requests must carry the x-api-key and server-hash headers set in SOURCES__BANKCONNECT__API_KEY and
    SOURCES__BANKCONNECT__SERVER_HASH ("demo-key" / "demo-hash" when unset).

    \b
    Example:
        bankconnect simulate --port 8585 --sessions 100 --fault-rate 0.1 --fault-kinds 429,503,reset
        bankconnect simulate --sessions 100 --latency 0.3 --throttle-every 2
        export SOURCES__BANKCONNECT__BASE_URL=http://127.0.0.1:8585/bank-connect/v1
        curl -s http://127.0.0.1:8585/_simulator/sessions
    """
    try:
        faults = FaultConfig(rate=fault_rate, kinds=fault_kinds, seed=seed, throttle_every=throttle_every,
                             latency=latency)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--fault-kinds") from None
    catalog = build_catalog(n_sessions=sessions, seed=seed, prerender=prerender)
    simulator = Simulator(catalog, api_key=os.environ.get("SOURCES__BANKCONNECT__API_KEY") or "demo-key",
                          server_hash=os.environ.get("SOURCES__BANKCONNECT__SERVER_HASH") or "demo-hash",
                          faults=faults, port=port)
    try:
        simulator.start()
    except OSError as exc:
        raise click.ClickException(f"cannot listen on 127.0.0.1:{port} ({exc.strerror}); try another --port") from None
    try:
        for line in describe(simulator, faults):
            click.echo(line)
        wait_for_interrupt()
    except KeyboardInterrupt:
        pass
    finally:
        simulator.stop()
        click.echo("simulator stopped")


def describe(simulator: Simulator, faults: FaultConfig) -> list:
    """What the command prints: the base URL, credentials hint, faults, and a few session ids per case."""
    base = simulator.base_url + API_PATH
    lines = [
        f"BankConnect simulator listening on {base}",
        f"  export SOURCES__BANKCONNECT__BASE_URL={base}",
        "  credentials: SOURCES__BANKCONNECT__API_KEY / SOURCES__BANKCONNECT__SERVER_HASH (demo defaults when unset)",
        f"  faults: {faults.rate:.0%} of API requests ({', '.join(faults.kinds)})" if faults.rate else "  faults: off",
        *([f"  429 storm: 1 API request in {faults.throttle_every} answers 429, Retry-After: {faults.throttle_retry_after}"]
          if faults.throttle_every else []),
        *([f"  latency: {faults.latency:g} s before every API answer"] if faults.latency else []),
        f"  sessions by case ({simulator.base_url}/_simulator/sessions lists all):",
    ]
    for case, ids in simulator.catalog.cases().items():
        more = f" ... (+{len(ids) - _SHOWN_IDS})" if len(ids) > _SHOWN_IDS else ""
        lines.append(f"    {case:<17} {len(ids):>4}  {' '.join(ids[:_SHOWN_IDS])}{more}")
    lines.append("Press Ctrl-C to stop.")
    return lines


def wait_for_interrupt() -> None:
    """Blocks until Ctrl-C, or SIGTERM (treated the same, so `kill` and container stops shut down cleanly)."""
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        while True:
            time.sleep(3600)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt
