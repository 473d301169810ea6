"""The HTTP side: a threaded stdlib server on 127.0.0.1 that answers like the BankConnect API."""

from __future__ import annotations

import hmac
import re
import socket
import struct
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, Optional

import orjson

from .catalog import Catalog, error_response
from .faults import FaultConfig, FaultInjector

# Any base path prefix is accepted: only the suffix of the path is matched.
_API_ROUTE = re.compile(r"/session_data/([^/]+)/(session_status|insights)/?$")
_CASES_ROUTE = re.compile(r"(?:^|/)_simulator/sessions/?$")
_LOOPBACK = ("127.0.0.1", "localhost")


class Simulator:
    """Serves a catalog like the BankConnect API until stopped. Use as a context manager or start()/stop().

    Args:
        catalog: the sessions to serve (build_catalog()).
        api_key, server_hash: the values requests must send as x-api-key and server-hash (else 403 ACCESS_DENIED).
        faults: failures to inject into API requests (none by default); can be replaced while serving.
        host: must be loopback; the simulator always binds 127.0.0.1.
        port: 0 picks a free port; read it back from base_url.
    """

    def __init__(self, catalog: Catalog, api_key: str = "demo-key", server_hash: str = "demo-hash",
                 faults: Optional[FaultConfig] = None, host: str = "127.0.0.1", port: int = 0) -> None:
        if host not in _LOOPBACK:
            raise ValueError(f"the simulator only listens on 127.0.0.1, not {host!r}")
        self.catalog = catalog
        self.faults = faults or FaultConfig()
        self._credentials = (api_key.encode(), server_hash.encode())
        self._address = ("127.0.0.1", port)
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None
        self._connections: set = set()
        self._counts: Counter = Counter()
        self._lock = threading.Lock()

    @property
    def faults(self) -> FaultConfig:
        return self._injector.config

    @faults.setter
    def faults(self, config: FaultConfig) -> None:
        """Fault settings can change while serving; the fault RNG restarts from config.seed."""
        self._injector = FaultInjector(config)

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT, without a trailing slash (append any API base path)."""
        if self._server is None:
            raise RuntimeError("the simulator is not running; call start() first")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> "Simulator":
        if self._server is not None:
            return self
        handler = type("Handler", (_Handler,), {"sim": self})
        server = _Server(self._address, handler)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="bankconnect-simulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:  # idle keep-alive connections would otherwise outlive the server
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        server.server_close()
        self._thread.join(timeout=5)

    def stats(self) -> Dict[str, int]:
        """Requests served so far: "requests", "status_<code>", "fault_<kind>", "simulator_errors"."""
        with self._lock:
            return dict(self._counts)

    def __enter__(self) -> "Simulator":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _authorised(self, api_key: Optional[str], server_hash: Optional[str]) -> bool:
        key, hash_ = self._credentials
        return (api_key is not None and server_hash is not None
                and hmac.compare_digest(api_key.encode(), key) & hmac.compare_digest(server_hash.encode(), hash_))

    def _count(self, *names: str) -> None:
        with self._lock:
            for name in names:
                self._counts[name] += 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # bursts of concurrent clients must not overflow the listen backlog

    def handle_error(self, request, client_address) -> None:
        pass  # clients hanging up mid-answer are expected (and caused by the faults); stay quiet


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "bankconnect-simulator"
    sys_version = ""
    disable_nagle_algorithm = True  # headers and body go out as separate writes
    timeout = 60
    sim: Simulator

    def setup(self) -> None:
        super().setup()
        with self.sim._lock:
            self.sim._connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.sim._lock:
                self.sim._connections.discard(self.connection)

    def log_message(self, format, *args) -> None:
        pass

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if _CASES_ROUTE.search(path):
            return self._send(200, orjson.dumps(self.sim.catalog.cases()))
        match = _API_ROUTE.search(path)
        if not match:
            return self._send(404, b'{"detail":"Not found."}')
        if self.sim.faults.latency:
            time.sleep(self.sim.faults.latency)
        fault = self.sim._injector.draw()
        if fault is not None:
            self.sim._count(f"fault_{fault.kind}")
            if fault.kind == "reset":
                return self._reset()
            replaced = fault.response()
            if replaced:
                status, body, content_type, headers = replaced
                return self._send(status, body, content_type, headers)
            if fault.kind == "slow":
                time.sleep(self.sim.faults.slow_seconds)
        if not self.sim._authorised(self.headers.get("x-api-key"), self.headers.get("server-hash")):
            status, body = error_response("ACCESS_DENIED")
        else:
            try:
                status, body = self.sim.catalog.respond(match.group(1), match.group(2))
            except Exception as exc:  # a simulator bug: say so to the client instead of dropping the connection
                self.sim._count("simulator_errors")
                status, body = 500, orjson.dumps({"detail": f"simulator error: {type(exc).__name__}: {exc}"})
        if fault is not None and fault.kind == "truncated":
            return self._send(status, body, cut=max(1, int(len(body) * fault.cut)))
        self._send(status, body)

    def do_POST(self) -> None:
        self.close_connection = True  # the request body is never read
        self._send(405, orjson.dumps({"detail": f'Method "{self.command}" not allowed.'}))

    do_PUT = do_PATCH = do_DELETE = do_POST

    def _send(self, status: int, body: bytes, content_type: str = "application/json", headers=(),
              cut: Optional[int] = None) -> None:
        self.sim._count("requests", f"status_{status}")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body if cut is None else body[:cut])
        if cut is not None:
            # Content-Length promised the whole body; closing now leaves the client short.
            self.close_connection = True

    def _reset(self) -> None:
        self.sim._count("requests")
        self.close_connection = True
        # Linger 0: closing sends a TCP RST instead of a clean FIN.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
