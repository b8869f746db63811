"""A loopback HTTP server that replays recorded API responses, for the API collectors' tests.

Routes map a path to a function of the request returning ``(status, headers, body)``;
every request is recorded (path, query, headers) so tests can check what was sent.
``silent_server`` accepts connections and never answers, to exercise timeouts.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


Reply = tuple[int, dict[str, str], Any]
Route = Callable[[Request], Reply]


class Loopback:
    """A threaded HTTP server on a free loopback port answering with ``handler``; ``stop`` ends it."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@dataclass
class ReplayServer:
    routes: dict[str, Route]
    requests: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                request = Request(parts.path, parse_qs(parts.query), {k.lower(): v for k, v in self.headers.items()})
                server.requests.append(request)
                route = server.routes.get(parts.path)
                status, headers, body = route(request) if route else (404, {}, {"message": "Not Found"})
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.loopback = Loopback(Handler)
        self.url = self.loopback.url

    def stop(self) -> None:
        self.loopback.stop()


@contextlib.contextmanager
def replay(routes: dict[str, Route]) -> Iterator[ReplayServer]:
    server = ReplayServer(routes)
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def silent_server() -> Iterator[str]:
    """A loopback port that accepts TCP connections and never sends a byte; yields its URL."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()
