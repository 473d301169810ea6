"""`bankconnect.webhook_events`: the inbox's notifications loaded by `bankconnect load`, personal data per --pii."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pyarrow as pa

from sources.bankconnect.pii import apply_pii
from sources.bankconnect.settings import DEFAULT_PII_MODE

from . import inbox

TABLE = "webhook_events"
_ACCOUNT_STATUS = pa.struct([("account_id", pa.string()), ("account_status", pa.string()), ("error_code", pa.string())])
SCHEMA = pa.schema([
    pa.field("event_id", pa.int64(), nullable=False), pa.field("session_id", pa.string(), nullable=False),
    ("event_name", pa.string()), pa.field("received_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ("insights_available", pa.bool_()),
    ("account_statuses", pa.list_(_ACCOUNT_STATUS)), ("body", pa.string()),
])
# What the table and its columns mean (COMMENT ON, with the raw tables: pipelines/descriptions.py).
DOC = "one row per FinBox webhook notification `bankconnect serve` stored, loaded by the next `bankconnect load`"
COLUMN_DOCS = {
    "event_id": "the notification's number in the receiver's inbox (increasing, unique per database)",
    "session_id": "the BankConnect session the notification is about",
    "event_name": "ENRICHMENT_NOTIFICATION (processing ended: queues a load), "
                  "SESSION_REQUIREMENT_COMPLETION_NOTIFICATION, SESSION_EXPIRY_NOTIFICATION, or any other name as sent",
    "received_at": "when the receiver stored the notification (UTC), before it answered 2xx",
    "insights_available": "the notification's insights_available flag",
    "account_statuses": "each account's account_id, account_status (completed/failed) and error_code",
    "body": "the notification as received (JSON text), personal data treated per --pii",
}
_PERSONAL_ACCOUNT_KEYS = ("name", "account_number")  # treated like accounts.name / accounts.account_number
# Documented fields that hold no personal data although their key reads like it ("bank_name"), and
# file names, which are scrubbed as notes (like statements.upload_file_name) rather than dropped.
_PLAIN_KEYS = frozenset({"event_name", "session_id", "bank_name", "account_id", "account_status", "error_code",
                         "account_category", "statement_id", "statement_status", "source", "attempt_types"})
_NOTE_KEYS = frozenset({"upload_file_name"})


def load_webhook_events(pipeline: Any, load_ids: List[str], pii: Optional[str] = None) -> Dict[str, int]:
    """Load the notifications stored since the last load into `webhook_events` (one pipeline.run).

    Each event loads once: dlt's incremental cursor on `event_id` is committed with the data, so a
    crashed load sends the same events again and a finished one never does. Does nothing (and creates
    no inbox) when `serve` never stored anything for this target.

    Args:
        pipeline: the load's dlt pipeline; the inbox is in its working folder.
        load_ids: the load ids of the run, extended with this one's.
        pii: personal data mode for the raw body (keep, mask, hash, drop), as for the other tables.

    Returns:
        Rows written per table (empty when there was nothing new).
    """
    con = inbox.open_inbox(inbox.inbox_path(Path(pipeline.pipelines_dir)), create=False)
    if con is None:
        return {}
    try:
        if not inbox.events_after(con, loaded_up_to(pipeline), limit=1):
            return {}  # nothing new: no dlt run (one costs ~0.5 s, and every run records itself in the inbox)
        info = pipeline.run(webhook_events_resource(con, pii or DEFAULT_PII_MODE, _pii_hash_key(pii)))
    finally:
        con.close()
    if not info.loads_ids:
        return {}
    load_ids += info.loads_ids
    counts = pipeline.last_trace.last_normalize_info.row_counts
    return {TABLE: counts.get(TABLE, 0)}


def loaded_up_to(pipeline: Any) -> int:
    """The last event id loaded: the `event_id` cursor of `webhook_events` in dlt's local state, 0 before any."""
    cursors = [resources.get(TABLE, {}).get("incremental", {}).get("event_id", {}).get("last_value")
               for source in pipeline.state.get("sources", {}).values()
               for resources in [source.get("resources", {})]]
    return max([c for c in cursors if isinstance(c, int)], default=0)


def webhook_events_resource(con: Any, pii: str, hash_key: Optional[bytes]) -> Any:
    """The dlt resource: new inbox events as Arrow, appended, keyed by `event_id`."""
    import dlt

    @dlt.resource(name=TABLE, write_disposition="append", primary_key="event_id")
    def webhook_events(cursor=dlt.sources.incremental("event_id", initial_value=0)) -> Iterator[pa.Table]:
        after = cursor.last_value or 0
        while True:
            events = inbox.events_after(con, after)
            if not events:
                return
            yield events_table(events, pii, hash_key)
            after = events[-1]["event_id"]

    return webhook_events


def events_table(events: List[Dict[str, Any]], pii: str = DEFAULT_PII_MODE,
                 hash_key: Optional[bytes] = None) -> pa.Table:
    """Stored notifications as `webhook_events` rows, the body's personal data treated per `pii`.

    The accounts' `name` and `account_number` get the treatment of the same columns in `accounts`;
    the rest of the body is scrubbed like a transaction note (sources.bankconnect.pii).
    """
    columns = [inbox.event_columns(e) for e in events]
    bodies = [e["body"] for e in events] if pii == "keep" else _treated_bodies(events, pii, hash_key)
    return pa.table({
        "event_id": [e["event_id"] for e in events],
        "session_id": [e["session_id"] for e in events],
        "event_name": [e["event_name"] for e in events],
        "received_at": pa.array([e["received_at"] for e in events]).cast(pa.timestamp("us", tz="UTC")),
        "insights_available": [c["insights_available"] for c in columns],
        "account_statuses": [c["account_statuses"] for c in columns],
        "body": bodies,
    }, schema=SCHEMA)


def _treated_bodies(events: List[Dict[str, Any]], pii: str, hash_key: Optional[bytes]) -> List[Optional[str]]:
    parsed = [json.loads(e["body"]) for e in events]
    accounts = [(i, a) for i, body in enumerate(parsed) for a in _accounts(body)]
    holders = pa.table({
        "session_id": [events[i]["session_id"] for i, _ in accounts],
        **{k: pa.array([_text(a.get(k)) for _, a in accounts], pa.string()) for k in _PERSONAL_ACCOUNT_KEYS},
    })
    leaves: List[tuple] = []  # (event index, key, container, slot) of every other text in the body
    for i, body in enumerate(parsed):
        _text_leaves(body, "", lambda key, box, slot, i=i: leaves.append((i, key, box, slot)))
    leaves = [leaf for leaf in leaves if leaf[1] not in _PLAIN_KEYS]
    notes = pa.table({"session_id": [events[i]["session_id"] for i, *_ in leaves],
                      "path": ["note" if key in _NOTE_KEYS else key for _, key, _, _ in leaves],
                      "value_json": [box[slot] for _, _, box, slot in leaves]}, schema=_NOTE_SCHEMA)
    treated = apply_pii({"accounts": holders, "unknown_fields": notes}, pii, hash_key)
    for row, (_, account) in enumerate(accounts):
        for key in _PERSONAL_ACCOUNT_KEYS:
            if key in account:
                account[key] = treated["accounts"][key][row].as_py()
    for (_, _, box, slot), value in zip(leaves, treated["unknown_fields"]["value_json"].to_pylist()):
        box[slot] = value
    return [json.dumps(body, ensure_ascii=False) for body in parsed]


def _text_leaves(value: Any, key: str, found: Any, in_account: bool = False) -> None:
    """Call found(key, container, slot) for every string in a body except the accounts' personal keys."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for slot, item in items:
        name = slot if isinstance(slot, str) else key
        if isinstance(item, str):
            if not (in_account and slot in _PERSONAL_ACCOUNT_KEYS):
                found(name, value, slot)
        else:
            _text_leaves(item, name, found, in_account=key == "accounts" and isinstance(value, list))


_NOTE_SCHEMA = pa.schema([("session_id", pa.string()), ("path", pa.string()), ("value_json", pa.string())])


def _accounts(body: Any) -> List[Dict[str, Any]]:
    accounts = body.get("accounts") if isinstance(body, dict) else None
    return [a for a in accounts if isinstance(a, dict)] if isinstance(accounts, list) else []


def _text(value: Any) -> Optional[str]:
    return None if value is None else str(value)


def _pii_hash_key(pii: Optional[str]) -> Optional[bytes]:
    """SOURCES__BANKCONNECT__PII_HASH_KEY through dlt's config (only mode hash needs it)."""
    if pii != "hash":
        return None
    import dlt

    key = dlt.secrets.get("sources.bankconnect.pii_hash_key")
    return str(key).encode() if key else None
