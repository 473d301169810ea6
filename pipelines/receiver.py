"""The webhook receiver: a plain ASGI app that stores FinBox notifications in the inbox before answering 2xx.

Stores go through one writer thread that commits everything waiting in one transaction (group
commit): one fsync covers every request that arrived meanwhile, so 16 concurrent senders cost about
one fsync each round, not sixteen.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import queue
import threading
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

from sources.bankconnect.errors import ConfigError
from sources.bankconnect.validation import validate_session_id

from . import inbox

WEBHOOK_PATH = "/webhooks/bankconnect"
HEALTH_PATH = "/healthz"
MAX_BODY_BYTES = 1024 * 1024
DEFAULT_SECRET_HEADER = "x-secret-key"
_GROUP_MAX = 512  # notifications per commit at most

Send = Callable[[Dict[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[Dict[str, Any]]]


class GroupCommitWriter:
    """One thread storing notifications for all requests: each commit takes everything queued."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._queue: "queue.Queue[Tuple[inbox.Notification, Callable[[Any], None]]]" = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="inbox-writer", daemon=True)
        inbox.open_inbox(path).close()  # create the file and tables before the first request

    def start(self) -> "GroupCommitWriter":
        self._thread.start()
        return self

    async def store(self, notification: inbox.Notification) -> int:
        """Store one notification; returns its event id once committed (fsynced)."""
        loop = asyncio.get_running_loop()
        done: "asyncio.Future[Any]" = loop.create_future()

        def resolve(result: Any) -> None:
            loop.call_soon_threadsafe(_settle, done, result)

        self._queue.put((notification, resolve))
        return await done

    def _run(self) -> None:
        con = inbox.open_inbox(self._path)
        while True:
            batch = [self._queue.get()]
            while len(batch) < _GROUP_MAX:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                results: List[Any] = inbox.store(con, [n for n, _ in batch])
            except Exception as exc:  # disk full, I/O error: every request of the batch gets a 503
                results = [exc] * len(batch)
            for (_, resolve), result in zip(batch, results):
                resolve(result)


class WebhookApp:
    """ASGI app: POST /webhooks/bankconnect stores one notification; GET /healthz reports the queue."""

    def __init__(self, writer: GroupCommitWriter, inbox_file: Path, secret: Optional[str],
                 secret_header: str = DEFAULT_SECRET_HEADER) -> None:
        self.writer = writer
        self.inbox_file = inbox_file
        self._secret = secret.encode() if secret else None
        self._header = secret_header.lower().encode()

    async def __call__(self, scope: Dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return await _lifespan(receive, send)
        if scope["type"] != "http":
            return
        path, method = scope["path"], scope["method"]
        if path == HEALTH_PATH:
            if method not in ("GET", "HEAD"):
                return await _answer(send, 405, {"error": "method not allowed"}, allow="GET")
            return await _answer(send, 200, self.health())
        if path != WEBHOOK_PATH:
            return await _answer(send, 404, {"error": "not found"})
        if method != "POST":
            return await _answer(send, 405, {"error": "method not allowed"}, allow="POST")
        status, body = await self.receive_notification(scope, receive)
        await _answer(send, status, body)

    async def receive_notification(self, scope: Dict[str, Any], receive: Receive) -> Tuple[int, Dict[str, Any]]:
        """Authenticate, read (at most 1 MiB), validate and store one notification: (status, answer)."""
        headers = dict(scope["headers"])
        if self._secret is not None and not hmac.compare_digest(headers.get(self._header, b""), self._secret):
            return 401, {"error": "missing or wrong secret header"}
        raw = await _read_body(headers, receive)
        if raw is None:
            return 413, {"error": f"body over {MAX_BODY_BYTES} bytes"}
        notification, problem = parse_notification(raw)
        if notification is None:
            return 400, {"error": problem}
        result = await self.writer.store(notification)
        if isinstance(result, Exception):
            return 503, {"error": "could not store the notification; send it again"}
        return 200, {"stored": True, "event_id": result, "queued": notification.event_name == inbox.ENRICHMENT}

    def health(self) -> Dict[str, Any]:
        """Queue depth, events stored, the last run and last load (no secrets, no personal data)."""
        return {"status": "ok", **inbox.stats_at(self.inbox_file)}


def parse_notification(raw: bytes) -> Tuple[Optional[inbox.Notification], str]:
    """A Notification from a request body, or (None, why it was refused)."""
    try:
        text = raw.decode("utf-8")
        body = json.loads(text)
    except ValueError:  # UnicodeDecodeError is a ValueError
        return None, "body is not JSON (UTF-8)"
    if not isinstance(body, dict):
        return None, "body is not a JSON object"
    try:
        session_id = validate_session_id(body.get("session_id"))
    except ConfigError as exc:
        return None, "missing or " + str(exc).split(":")[0]
    name = body.get("event_name")
    return inbox.Notification(session_id, name if isinstance(name, str) else None, text), ""


async def _read_body(headers: Dict[bytes, bytes], receive: Receive) -> Optional[bytes]:
    """The request body, or None as soon as it is known to pass MAX_BODY_BYTES (the rest is not read)."""
    declared = headers.get(b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b""
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


async def _answer(send: Send, status: int, body: Dict[str, Any], allow: Optional[str] = None) -> None:
    data = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    if allow:
        headers.append((b"allow", allow.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def _settle(future: "asyncio.Future[Any]", result: Any) -> None:
    if not future.done():
        future.set_result(result)
