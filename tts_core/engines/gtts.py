"""Google Translate's voice through the real ``gtts`` package: the default, online engine.

gTTS splits text into parts of at most 100 characters and fetches them one by one, each on a
new connection, with no timeout by default. Here the parts are fetched concurrently (bounded),
each request has a timeout and retries 429/5xx with backoff, an empty reply is a failure, and
each part is decoded on its own (joined MP3 parts can decode short), so the first part can play
while the others arrive.

gTTS 2.5.4 sends with ``verify=False`` and switches urllib3's insecure-request warning off for
the whole process: anyone on the path would read every sentence. So gTTS only splits the text
and builds the form it would post; the request itself is sent here, by our own ``requests``
session, with certificate verification on (``REQUESTS_CA_BUNDLE`` names a private CA, as for
any ``requests`` program) and the reply read up to a bound.

Text leaves the machine: the filter removes secrets before it gets here. Set
``CLAUDE_TTS_ALLOW_HOSTS`` (comma-separated host names) to forbid any other destination; the
tests set it to 127.0.0.1, so a test that forgets to point gTTS at its local server fails
instead of reaching Google.
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import threading
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

from tts_core.audio.pcm import Audio, decode_mp3, time_stretch
from tts_core.config.schema import GOOGLE_TLDS, VoiceOptions
from tts_core.errors import EngineError
from tts_core.languages.catalog import Language

MIN_VERSION = (2, 5)
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
BACKOFF_S = 0.25
ALLOW_HOSTS_ENV = "CLAUDE_TTS_ALLOW_HOSTS"
RPC_PATH = "/_/TranslateWebserverUi/data/batchexecute"
"""Where gTTS posts (``https://translate.google.<tld>`` + this)."""
MAX_REPLY = 4 * 1024 * 1024
"""Largest reply read: a part's MP3 (100 characters of speech) is about 20 kB."""
_AUDIO = re.compile(rb'jQ1olc","\[\\"([A-Za-z0-9+/=]*)\\"]')
"""The audio in gTTS's reply envelope (gTTS's own pattern, on bytes, without backtracking)."""


class GttsEngine:
    """Google Translate's voice through gTTS: parts fetched concurrently, timeouts, retries on
    429/5xx, refuses hosts outside ``CLAUDE_TTS_ALLOW_HOSTS``. Must not import another engine."""

    name = "gtts"
    needs_network = True

    def __init__(self, options: VoiceOptions | None = None, max_parallel: int = 4) -> None:
        opts = options or VoiceOptions()
        try:
            import gtts
            import gtts.tts
        except ImportError:
            raise EngineError(
                "gTTS is not installed (pip install --no-deps 'gTTS==2.5.4' requests; see README)"
            ) from None
        version = tuple(int(p) for p in gtts.__version__.split(".")[:2])
        if version < MIN_VERSION:
            raise EngineError(
                f"gTTS {gtts.__version__} is too old (an unrelated click pin makes pip pick it); "
                "run: pip install --no-deps 'gTTS==2.5.4'"
            )
        self._gtts: Any = gtts.tts
        self.speed = opts.speed
        self.timeout = opts.gtts_timeout_s
        self.retries = opts.gtts_retries
        self.sentence_s = max(2 * opts.gtts_timeout_s, 1.0)
        """The whole sentence's deadline: every part, retries included."""
        self.url, self.host = _destination(opts)
        self.origin = self.url.removesuffix(RPC_PATH)
        """Where the audio comes from: part of the cache key."""
        self.shared_cache = opts.gtts_endpoint is None
        """Audio from Google may be cached for everyone; a custom endpoint's never is."""
        self._pool = ThreadPoolExecutor(max_parallel, thread_name_prefix="gtts")
        self._local = threading.local()

    def voices(self) -> list[str]:
        """Language codes gTTS can speak (its own table; no network)."""
        from gtts.lang import tts_langs

        return sorted(tts_langs())

    def _check_host(self) -> None:
        allowed = os.environ.get(ALLOW_HOSTS_ENV)
        if allowed is not None and self.host not in {h.strip() for h in allowed.split(",")}:
            raise EngineError(f"gTTS may not contact {self.host} ({ALLOW_HOSTS_ENV}={allowed})")

    def parts(self, text: str, lang: Language) -> list[str]:
        """gTTS's own split of ``text`` into request-sized parts."""
        code = _code(lang)
        tts = self._gtts.gTTS(text, lang=code, lang_check=False)
        parts: list[str] = tts._tokenize(text)  # the split gTTS itself would send
        return parts

    async def stream(self, text: str, lang: Language) -> AsyncIterator[Audio]:
        self._check_host()
        code = _code(lang)
        parts = self.parts(text, lang)
        if not parts:
            return
        loop = asyncio.get_running_loop()
        futures = [loop.run_in_executor(self._pool, self._fetch, part, code) for part in parts]
        # One deadline for the whole sentence: requests' timeout is per read, and a server that
        # drips a byte at a time never trips it (20 s were seen for one sentence).
        deadline = loop.time() + self.sentence_s
        try:
            for i, future in enumerate(futures):
                try:
                    mp3 = await asyncio.wait_for(asyncio.shield(future), deadline - loop.time())
                    audio = await asyncio.to_thread(decode_mp3, mp3)
                except TimeoutError:
                    remaining = " ".join(parts[i:])
                    why = f"gTTS took over {self.sentence_s:g} s for a sentence (a slow reply)"
                    raise EngineError(why, remaining) from None
                except EngineError as exc:
                    exc.remaining = " ".join(parts[i:])
                    raise
                except ValueError as exc:
                    remaining = " ".join(parts[i:])
                    raise EngineError(f"gTTS audio is unreadable: {exc}", remaining) from None
                yield time_stretch(audio, self.speed)
        finally:
            for future in futures:
                future.cancel()  # parts not started yet are not fetched

    def _session(self) -> Any:
        """This worker thread's session (connections are reused; a session is not shared
        between threads)."""
        session = getattr(self._local, "session", None)
        if session is None:
            import requests

            session = requests.Session()
            session.verify = True  # and REQUESTS_CA_BUNDLE, through the environment settings
            self._local.session = session
        return session

    def _fetch(self, part: str, code: str) -> bytes:
        """One part, with retries on 429/5xx (runs in a worker thread)."""
        tts = self._gtts.gTTS(part, lang=code, lang_check=False)
        form = tts._package_rpc(part)  # the form gTTS itself would post
        for attempt in range(self.retries + 1):
            status, body = self._post(form, tts.GOOGLE_TTS_HEADERS)
            if status in RETRY_STATUS and attempt < self.retries:
                time.sleep(BACKOFF_S * 2**attempt)
                continue
            if status >= 300:  # a redirect included: it is not followed
                raise EngineError(f"gTTS failed: {_reason(status)}")
            data = b"".join(base64.b64decode(m) for m in _AUDIO.findall(body))
            if not data:
                raise EngineError("gTTS failed: the reply held no audio")
            return data
        raise AssertionError("unreachable")

    def _post(self, form: str, headers: dict[str, str]) -> tuple[int, bytes]:
        """POST the form to the destination, certificate verified; (status, body)."""
        import requests

        try:
            # No redirects: a 3xx would resend the text to a host nobody chose (and past
            # CLAUDE_TTS_ALLOW_HOSTS); it is a failure like any other status.
            with self._session().post(
                self.url, data=form, headers=headers, timeout=self.timeout, stream=True,
                allow_redirects=False,
            ) as reply:  # fmt: skip
                if 300 <= reply.status_code < 400:
                    return reply.status_code, b""
                body = bytearray()
                for chunk in reply.iter_content(65536):
                    body += chunk
                    if len(body) > MAX_REPLY:
                        raise EngineError(f"gTTS failed: a reply over {MAX_REPLY} bytes")
                return reply.status_code, bytes(body)
        except requests.exceptions.SSLError as exc:
            why = f"the certificate of {self.host} could not be verified ({_cause(exc)})"
            raise EngineError(f"gTTS failed: {why}") from None
        except requests.exceptions.Timeout:
            why = "the reply did not come in time (read timeout)"
            raise EngineError(f"gTTS failed: {why}") from None
        except requests.exceptions.RequestException as exc:
            raise EngineError(f"gTTS failed: cannot reach {self.host} ({_cause(exc)})") from None


def _code(lang: Language) -> str:
    if lang.gtts is None:
        raise EngineError(f"gTTS has no voice for {lang.name}")
    return lang.gtts


def _destination(opts: VoiceOptions) -> tuple[str, str]:
    """(URL posted to, host contacted): Google's for the TLD, or the user's own endpoint."""
    if opts.gtts_endpoint:
        parts = urlsplit(opts.gtts_endpoint)
        if (
            parts.scheme != "https"
            or not parts.hostname
            or parts.username is not None
            or parts.path not in ("", "/")
            or parts.query
        ):
            raise EngineError(
                f"gtts_endpoint must be https://host[:port], got {opts.gtts_endpoint!r}"
            )
        return f"https://{parts.netloc}{RPC_PATH}", parts.hostname
    if opts.gtts_tld not in GOOGLE_TLDS:
        raise EngineError(f"gtts_tld must be one of Google's domains, got {opts.gtts_tld!r}")
    host = f"translate.google.{opts.gtts_tld}"
    return f"https://{host}{RPC_PATH}", host


def _reason(status: int) -> str:
    return "429 Too Many Requests" if status == 429 else f"HTTP {status}"


def _cause(exc: BaseException) -> str:
    """The innermost reason of a requests error (requests wraps urllib3's, which wraps the
    ssl module's), on one line."""
    inner: object = exc
    for _ in range(8):
        args = getattr(inner, "args", ())
        deeper = getattr(inner, "reason", None) or (args[0] if args else None)
        if not isinstance(deeper, BaseException):
            break
        inner = deeper
    return str(inner).split("\n")[0][:200] or type(inner).__name__
