"""Google Translate's voice through the real ``gtts`` package: the default, online engine.

gTTS splits text into parts of at most 100 characters and fetches them one by one, each on a
new connection, with no timeout by default. Here the parts are fetched concurrently (bounded),
each request has a timeout and retries 429/5xx with backoff, an empty reply is a failure, and
each part is decoded on its own (joined MP3 parts can decode short), so the first part can play
while the others arrive.

Text leaves the machine: the filter removes secrets before it gets here. Set
``CLAUDE_TTS_ALLOW_HOSTS`` (comma-separated host names) to forbid any other destination; the
tests set it to 127.0.0.1, so a test that forgets to point gTTS at its local server fails
instead of reaching Google.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

from tts_core.audio.pcm import Audio, decode_mp3, time_stretch
from tts_core.config.schema import VoiceOptions
from tts_core.errors import EngineError
from tts_core.languages.catalog import Language

MIN_VERSION = (2, 5)
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
BACKOFF_S = 0.25
ALLOW_HOSTS_ENV = "CLAUDE_TTS_ALLOW_HOSTS"


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
        self.tld, self.host = _destination(opts)
        self._pool = ThreadPoolExecutor(max_parallel, thread_name_prefix="gtts")

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
        tts = self._gtts.gTTS(text, lang=code, tld=self.tld, lang_check=False)
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

    def _fetch(self, part: str, code: str) -> bytes:
        """One part, with retries on 429/5xx (runs in a worker thread)."""
        for attempt in range(self.retries + 1):
            tts = self._gtts.gTTS(
                part, lang=code, tld=self.tld, lang_check=False, timeout=self.timeout
            )
            try:
                data = b"".join(tts.stream())
            except self._gtts.gTTSError as exc:
                status = getattr(getattr(exc, "rsp", None), "status_code", None)
                if status in RETRY_STATUS and attempt < self.retries:
                    time.sleep(BACKOFF_S * 2**attempt)
                    continue
                raise EngineError(f"gTTS failed: {_reason(exc, status)}") from None
            if not data:
                raise EngineError("gTTS failed: the reply held no audio")
            return data
        raise AssertionError("unreachable")


def _code(lang: Language) -> str:
    if lang.gtts is None:
        raise EngineError(f"gTTS has no voice for {lang.name}")
    return lang.gtts


def _destination(opts: VoiceOptions) -> tuple[str, str]:
    """(tld for gTTS, host actually contacted). gTTS builds https://translate.google.<tld>/;
    an endpoint is reached through that same template as ``com@host:port`` (userinfo@host)."""
    if opts.gtts_endpoint:
        parts = urlsplit(opts.gtts_endpoint)
        if parts.scheme != "https" or not parts.hostname:
            raise EngineError(
                f"gtts_endpoint must be https://host[:port], got {opts.gtts_endpoint!r}"
            )
        return f"com@{parts.netloc}", parts.hostname
    return opts.gtts_tld, f"translate.google.{opts.gtts_tld}"


def _reason(exc: BaseException, status: int | None) -> str:
    if status == 429:
        return "429 Too Many Requests"
    if status is not None:
        return f"HTTP {status}"
    cause = exc.__cause__ or exc.__context__
    if cause is not None and "timed out" in str(cause).lower():
        return "the reply did not come in time (read timeout)"  # gTTS calls it "Failed to connect"
    text = str(exc).split(". Probable cause", 1)[0]
    return text or type(exc).__name__
