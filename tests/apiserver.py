"""A tiny local API for tests: regex routes -> canned responses, served on 127.0.0.1."""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple, Union

import orjson

FIXTURES = Path(__file__).parent / "fixtures"
SEED_ID = "abcd"  # the seed example's id in the original spec (its payload says otherwise)
DOCS_ID = "136b1aa3-4610-4d0a-89f3-03078a2fce92"
API_KEY = "test-key-7f3a91"
SERVER_HASH = "test-hash-c2d8e4"

Body = Union[bytes, dict, list]
Responder = Callable[[], Tuple[int, Body, Dict[str, str]]]


RESET = "reset"  # a response that closes the connection without answering
TRUNCATED = "truncated"  # a 200 whose body stops halfway (Content-Length says more)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def error(status: int, code: str, message: str = "") -> Tuple[int, Body, Dict[str, str]]:
    return status, {"error": {"code": code, "message": message or code.lower()}}, {}


class ApiServer:
    """Routes are (method-less) regexes on the path; each maps to a response or a sequence of them
    (one per request, the last one repeating). Every request is counted in `hits`."""

    def __init__(self) -> None:
        self.routes: List[Tuple[re.Pattern, List]] = []
        self.hits: Dict[str, int] = {}
        self.seen_headers: List[Dict[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                server.seen_headers.append(dict(self.headers))
                server.hits[self.path] = server.hits.get(self.path, 0) + 1
                if self.headers.get("x-api-key") != API_KEY or self.headers.get("server-hash") != SERVER_HASH:
                    return self._send(*error(403, "ACCESS_DENIED", "Invalid credentials"))
                for pattern, responses in server.routes:
                    if pattern.search(self.path):
                        n = server.hits[self.path]
                        response = responses[min(n, len(responses)) - 1]
                        if callable(response):
                            response = response()
                        if response == RESET:
                            self.close_connection = True
                            return self.connection.shutdown(2)
                        if response == TRUNCATED:
                            body = fixture("seed_insights.json")
                            self.send_response(200)
                            self.send_header("Content-Length", str(len(body)))
                            self.end_headers()
                            self.wfile.write(body[: len(body) // 2])
                            self.close_connection = True
                            return self.connection.shutdown(2)
                        return self._send(*response)
                self._send(*error(404, "SESSION_NOT_FOUND", "The provided session ID is invalid"))

            def _send(self, status: int, body: Body, headers: Dict[str, str]):
                data = body if isinstance(body, bytes) else orjson.dumps(body)
                self.send_response(status)
                self.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/bank-connect/v1"

    def route(self, pattern: str, *responses) -> "ApiServer":
        self.routes.insert(0, (re.compile(pattern), list(responses)))
        return self

    def session(self, session_id: str, status: Optional[Body] = None, insights: Optional[Body] = None,
                status_error: Optional[tuple] = None, insights_error: Optional[tuple] = None) -> "ApiServer":
        """Serve one session from payloads or errors ((http_status, code) tuples)."""
        sid = re.escape(session_id)
        self.route(rf"/session_data/{sid}/session_status/$",
                   error(*status_error) if status_error else (200, status if status is not None else {"session_id": session_id, "accounts": []}, {}))
        if insights_error or insights is not None:
            self.route(rf"/session_data/{sid}/insights/$",
                       error(*insights_error) if insights_error else (200, insights, {}))
        return self

    def documented(self) -> "ApiServer":
        """Serve the two documented sessions: the seed example (SEED_ID) and the docs sample (DOCS_ID)."""
        self.session(SEED_ID, fixture("seed_session_status.json"), fixture("seed_insights.json"))
        return self.session(DOCS_ID, fixture("docs_session_status_completed.json"), fixture("docs_insights.json"))

    def start(self) -> "ApiServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
