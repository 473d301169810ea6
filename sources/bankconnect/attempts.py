"""Tells a ConcurrencyLimiter about every HTTP attempt, including the ones dlt's Client retries by itself.

dlt's `Client` wraps `Session.send` in its retry loop (429 honouring Retry-After, 5xx, resets), so the
caller only sees the final answer; requests dispatches a session's response hooks inside every
`send`, so a hook sees each attempt's status. `client.BankConnectClient` registers `attempt_hook`
beside its own body-reading hook; `limiter_session_attrs(limiter)` gives a Client of one's own the
same report. Attempts that raise (a timeout, a reset) never reach a response hook: the final
outcome passed to `release` reports those.
"""

from __future__ import annotations

from typing import Any, Callable, Dict

from .concurrency import CLEAN, ConcurrencyLimiter, outcome_for_status


def attempt_hook(limiter: ConcurrencyLimiter) -> Callable[..., None]:
    """A requests response hook reporting each throttled or failed attempt to `limiter.attempt`."""

    def on_response(response: Any, *args: Any, **kwargs: Any) -> None:
        outcome = outcome_for_status(response.status_code)
        if outcome != CLEAN:
            limiter.attempt(outcome)
        return None  # keep the response as it is

    return on_response


def limiter_session_attrs(limiter: ConcurrencyLimiter) -> Dict[str, Any]:
    """`session_attrs` for dlt's Client: every per-thread session it makes reports to `limiter`."""
    return {"hooks": {"response": [attempt_hook(limiter)]}}
