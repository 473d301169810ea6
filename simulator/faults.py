"""Injected failures: throttling, server errors, resets, slow, truncated and HTML answers, drawn per request;
a 429 storm (every k-th request) and a latency on every answer."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from random import Random
from typing import Optional, Tuple

import orjson

KINDS = ("429", "500", "502", "503", "reset", "slow", "truncated", "html")

_GATEWAY_502 = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway"
                b"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
_SERVER_500 = (b"<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Server Error (500)</title>\n</head>\n<body>\n"
               b"  <h1>Server Error (500)</h1><p></p>\n</body>\n</html>\n")
_MAINTENANCE = (b"<!DOCTYPE html><html><head><title>BankConnect | Scheduled maintenance</title></head><body>"
                b"<h1>We'll be back soon</h1><p>BankConnect is undergoing scheduled maintenance.</p></body></html>")


@dataclass(frozen=True)
class FaultConfig:
    """Which failures to inject: each API request fails with probability `rate`, as one of `kinds` (all by default).

    Kinds: "429" (with Retry-After 0 or 1), "500", "502", "503", "reset" (connection closed without an answer),
    "slow" (answers normally after `slow_seconds`), "truncated" (full Content-Length, part of the body, then
    close), "html" (an HTML page with status 200 or 502).

    Apart from those: `throttle_every` k > 0 answers every k-th API request 429 with `Retry-After:
    throttle_retry_after` (a 429 storm: k=2 throttles every second request), and `latency` seconds
    delay every API answer (the real API is across the internet and builds its documents on demand).
    """

    rate: float = 0.0
    kinds: Tuple[str, ...] = KINDS
    seed: int = 0
    slow_seconds: float = 0.2
    throttle_every: int = 0
    throttle_retry_after: int = 1
    latency: float = 0.0

    def __post_init__(self) -> None:
        kinds = self.kinds.split(",") if isinstance(self.kinds, str) else self.kinds
        kinds = tuple(str(k).strip() for k in kinds if str(k).strip())
        unknown = sorted(set(kinds) - set(KINDS))
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown}; choose from {', '.join(KINDS)}")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"fault rate must be between 0 and 1, got {self.rate}")
        if self.throttle_every < 0 or self.throttle_retry_after < 0 or self.latency < 0:
            raise ValueError("throttle_every, throttle_retry_after and latency must not be negative")
        object.__setattr__(self, "kinds", kinds or KINDS)


@dataclass(frozen=True)
class Fault:
    """One drawn failure; `response` is the replacement answer for the kinds that have one."""

    kind: str
    retry_after: int = 0
    html_status: int = 502
    cut: float = 0.5  # share of the body a truncated answer sends

    def response(self) -> Optional[Tuple[int, bytes, str, Tuple[Tuple[str, str], ...]]]:
        """(status, body, content type, extra headers) replacing the real answer, or None."""
        if self.kind == "429":
            body = orjson.dumps({"detail": f"Request was throttled. Expected available in {self.retry_after} seconds."})
            return 429, body, "application/json", (("Retry-After", str(self.retry_after)),)
        if self.kind == "500":
            return 500, _SERVER_500, "text/html; charset=utf-8", ()
        if self.kind == "502":
            return 502, _GATEWAY_502, "text/html", ()
        if self.kind == "503":
            return 503, b'{"message":"Service Unavailable"}', "application/json", ()
        if self.kind == "html":
            return self.html_status, _MAINTENANCE if self.html_status == 200 else _GATEWAY_502, "text/html", ()
        return None


class FaultInjector:
    """Draws faults from a seeded RNG under a lock, so concurrent requests share one reproducible sequence."""

    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self._rng = Random(config.seed)
        self._lock = threading.Lock()
        self._requests = 0

    def draw(self) -> Optional[Fault]:
        config = self.config
        if config.throttle_every:
            with self._lock:
                self._requests += 1
                if self._requests % config.throttle_every == 0:
                    return Fault("429", retry_after=config.throttle_retry_after)
        if config.rate <= 0.0:
            return None
        with self._lock:
            rng = self._rng
            if rng.random() >= config.rate:
                return None
            return Fault(rng.choice(config.kinds), retry_after=rng.choice((0, 1)),
                         html_status=rng.choice((200, 502)), cut=rng.uniform(0.1, 0.9))
