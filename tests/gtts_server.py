"""A local stand-in for Google Translate's TTS endpoint, for driving the real gTTS code.

HTTPS on 127.0.0.1 with a certificate made for the test session, which the tests trust through
``REQUESTS_CA_BUNDLE`` (conftest sets it: our engine verifies certificates); ``trusted=False``
gives it a fresh self-signed one that nobody trusts, as an attacker's server would have. It
answers gTTS's real request (the ``batchexecute`` form with ``f.req``) with the real reply
envelope holding base64 MP3 of real speech (espeak-ng, encoded by libsndfile), and can
misbehave on demand: 429, 500, empty reply, malformed reply, hang.
"""

from __future__ import annotations

import base64
import io
import json
import ssl
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import soundfile

from tts_core.audio.pcm import from_wav_bytes


@dataclass
class Seen:
    text: str
    lang: str
    started: float
    ended: float = 0.0


def speech_mp3(text: str, lang: str) -> bytes:
    voice = "ja" if lang.startswith("ja") else "en"
    wav = subprocess.run(
        ["espeak-ng", "--stdout", "-v", voice], input=text.encode(), capture_output=True, check=True
    ).stdout
    audio = from_wav_bytes(wav)
    buf = io.BytesIO()
    soundfile.write(buf, audio.samples, audio.rate, format="MP3")
    return buf.getvalue()


def envelope(mp3: bytes) -> bytes:
    b64 = base64.b64encode(mp3).decode()
    line = f'[["wrb.fr","jQ1olc","[\\"{b64}\\"]",null,null,null,"generic"],["di",42]]'
    return f")]}}'\n\n{len(line)}\n{line}\n".encode()


def make_cert(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (and its key) in ``folder``."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


_TRUSTED: list[tuple[Path, Path]] = []


def trusted_cert() -> tuple[Path, Path]:
    """The test session's certificate (made once) and its key."""
    if not _TRUSTED:
        _TRUSTED.append(make_cert(Path(tempfile.mkdtemp(prefix="ctt-ca-"))))
    return _TRUSTED[0]


def ca_bundle(base: str | None) -> Path:
    """A CA bundle for the tests: ``base`` (the bundle this machine trusts already, so that
    pip and the rest still reach their registries) plus the session's certificate."""
    cert = trusted_cert()[0]
    bundle = cert.parent / "bundle.pem"
    if not bundle.exists():
        known = Path(base).read_text() if base and Path(base).is_file() else ""
        bundle.write_text(known.rstrip("\n") + "\n" + cert.read_text())
    return bundle


class FakeGoogle:
    """``mode``: ok, 429, 500, empty, malformed, hang; ``fail_first``: how many requests get
    the fault before the rest are answered ok (-1: all); ``fail_on``: only parts containing it."""

    def __init__(self, trusted: bool = True) -> None:
        self.mode = "ok"
        self.fail_first = -1
        self.fail_on = ""
        self.delay = 0.0
        self.hang_s = 30.0
        self.drip_s = 0.0
        """> 0: the reply's body goes out one byte per this many seconds (a slow drip that
        never trips a per-read timeout)."""
        self.redirect_to = ""
        """Set: every request is answered 307 to this URL (a server sending text elsewhere)."""
        self.seen: list[Seen] = []
        self.active = 0
        self._lock = threading.Lock()
        self._mp3: dict[tuple[str, str], bytes] = {}
        if trusted:
            cert, key = trusted_cert()
        else:
            cert, key = make_cert(Path(tempfile.mkdtemp(prefix="ctt-google-")))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def endpoint(self) -> str:
        return f"https://127.0.0.1:{self.server.server_address[1]}"

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until no request is being answered (a test's stragglers), then forget them."""
        deadline = time.monotonic() + timeout
        while self.active and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.05)
        with self._lock:
            self.seen.clear()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _faulty(self, text: str) -> bool:
        if self.mode == "ok" or (self.fail_on and self.fail_on not in text):
            return False
        with self._lock:
            index = sum(1 for s in self.seen if not self.fail_on or self.fail_on in s.text)
        return self.fail_first < 0 or index <= self.fail_first

    def _answer(self, text: str, lang: str) -> tuple[int, bytes]:
        if self._faulty(text):
            if self.mode in ("429", "500"):
                return int(self.mode), b"error"
            if self.mode == "empty":
                return 200, b")]}'\n\n5\n[[]]\n"
            if self.mode == "malformed":
                return 200, b')]}\'\n\n[["wrb.fr","jQ1olc",null]]\n'
            if self.mode == "hang":
                time.sleep(self.hang_s)
        key = (text, lang)
        if key not in self._mp3:
            self._mp3[key] = speech_mp3(text, lang)
        return 200, envelope(self._mp3[key])

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                if fake.redirect_to:
                    self.send_response(307)
                    self.send_header("Location", fake.redirect_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                rpc = json.loads(parse_qs(body)["f.req"][0])
                text, lang, _speed, _ = json.loads(rpc[0][0][1])
                seen = Seen(text, lang, time.monotonic())
                with fake._lock:
                    fake.seen.append(seen)
                    fake.active += 1
                try:
                    time.sleep(fake.delay)
                    status, payload = fake._answer(text, lang)
                finally:
                    seen.ended = time.monotonic()
                    with fake._lock:
                        fake.active -= 1
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    if fake.drip_s > 0:
                        for i in range(len(payload)):
                            self.wfile.write(payload[i : i + 1])
                            self.wfile.flush()
                            time.sleep(fake.drip_s)
                    else:
                        self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up (timeout tests)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler
