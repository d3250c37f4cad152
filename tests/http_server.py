"""A real local HTTP server for tests of outgoing HTTP (SMS gateway, Telegram, webhooks).

It records every request (time, path, headers, body) and answers from a script of
(status, delay) steps, the last step repeating; `handler` may replace the answering.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    at: float
    path: str
    headers: Message
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class LocalServer:
    answers: list = field(default_factory=lambda: [(200, 0.0)])
    body: bytes = b'{"ok": true}'
    received: list = field(default_factory=list)
    handler: object = None
    url: str = ""

    def answer(self, *steps):
        """Answer the next requests with these (status, delay) steps, the last repeating."""
        self.answers = list(steps)

    def wait_for(self, count: int, timeout: float = 30.0) -> list:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.received


def serve() -> tuple[ThreadingHTTPServer, LocalServer]:
    state = LocalServer()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 — the http.server hook's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            got = Received(time.monotonic(), self.path, self.headers, body)  # case-insensitive
            state.received.append(got)
            if state.handler is not None:
                status, payload = state.handler(got)
                delay = 0.0
            else:
                step = state.answers[0] if len(state.answers) == 1 else state.answers.pop(0)
                (status, delay), payload = step, state.body
            time.sleep(delay)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the client gave up (a timeout under test)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, state
