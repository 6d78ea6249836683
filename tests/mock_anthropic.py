"""A minimal stand-in for the Anthropic Messages API, enough for ``claude -p`` to run a turn.

Every ``POST /v1/messages`` is answered with one streamed (SSE) text reply, the same for all
requests; other paths get 404. Run it in the foreground as ``python -m tests.mock_anthropic
PORT TEXT`` or use :class:`MockAnthropic` in-process.
"""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REPLY = "Hello from the mock. All forty tests passed, and the build is green."


def sse(text: str, model: str) -> bytes:
    events = [
        ("message_start", {"type": "message_start", "message": {
            "id": "msg_mock_1", "type": "message", "role": "assistant", "model": model,
            "content": [], "stop_reason": None, "stop_sequence": None,
            "usage": {"input_tokens": 10, "output_tokens": 1}}}),
        ("content_block_start", {"type": "content_block_start", "index": 0,
                                 "content_block": {"type": "text", "text": ""}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                 "delta": {"type": "text_delta", "text": text}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", {"type": "message_delta",
                           "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                           "usage": {"output_tokens": 20}}),
        ("message_stop", {"type": "message_stop"}),
    ]  # fmt: skip
    return b"".join(
        f"event: {name}\ndata: {json.dumps(data)}\n\n".encode() for name, data in events
    )


class MockAnthropic:
    def __init__(self, port: int = 0, text: str = REPLY) -> None:
        self.text = text
        self.requests: list[dict[str, object]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        mock = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)) or 0)
                path = self.path.split("?")[0]
                if path != "/v1/messages":
                    self.send_error(404)
                    return
                request = json.loads(body or b"{}")
                mock.requests.append(request)
                payload = sse(mock.text, str(request.get("model", "claude-mock")))
                if not request.get("stream"):
                    self.send_error(400, "the mock only streams")
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:
                self.send_error(404)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


if __name__ == "__main__":
    mock = MockAnthropic(int(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else REPLY)
    print(mock.url, flush=True)
    threading.Event().wait()
