"""The daemon's Unix-socket server: frames in, replies out. Knows sockets and the protocol only.

One per user: a live daemon on the socket makes :meth:`Server.start` refuse; a stale socket
file (nobody listening) is replaced. The socket is 0600 inside a 0700 directory, and peers of
another uid are refused (SO_PEERCRED on Linux, LOCAL_PEERCRED on macOS).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import struct
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from tts_core import paths as _paths
from tts_core.errors import DaemonAlreadyRunning, ProtocolError
from tts_core.protocol import Error, Message, body_size, decode, encode

log = logging.getLogger(__name__)

Handler = Callable[[Message], Awaitable[Message]]
IDLE_TIMEOUT_S = 30.0
"""A connection that sends nothing for this long is closed."""
FIRST_FRAME_S = 5.0
"""A new connection must send its first frame within this (the hook sends at once)."""
MAX_CONNECTIONS = 64
"""Connections served at once; more are answered 'busy' and closed (a flood of idle ones
must not take every file descriptor, nor buffer a line's worth of memory each)."""
MAX_LINE = 1024 * 1024
"""Longest header or request line buffered per connection; a hook's stdin follows its header
and is read by its announced size, up to MAX_FRAME."""


def peer_uid(sock: socket.socket) -> int | None:
    """The uid of the process at the other end, or None where the OS cannot tell us."""
    if sys.platform.startswith("linux"):
        data = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        return int(struct.unpack("3i", data)[1])
    if sys.platform == "darwin":
        # getsockopt(SOL_LOCAL=0, LOCAL_PEERCRED=1) -> struct xucred {u_int version; uid_t uid; ...}
        data = sock.getsockopt(0, 1, 76)
        return int(struct.unpack_from("=II", data)[1])
    return None


def socket_in_use(path: Path) -> bool:
    """True if something accepts connections on ``path``."""
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(1.0)
    try:
        probe.connect(str(path))
    except (FileNotFoundError, ConnectionRefusedError):
        return False
    except TimeoutError:
        return True  # alive but busy
    finally:
        probe.close()
    return True


class Server:
    """Accepts connections on ``path`` and answers each frame with ``handler``'s reply."""

    def __init__(self, path: Path, handler: Handler) -> None:
        self.path = path
        self.handler = handler
        self._server: asyncio.AbstractServer | None = None
        self._connections: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        _paths.ensure_private_dir(self.path.parent)
        _paths.check_socket_path(self.path)
        if self.path.exists() or self.path.is_symlink():
            if socket_in_use(self.path):
                raise DaemonAlreadyRunning(f"a daemon is already listening on {self.path}")
            log.info("removing stale socket %s", self.path)
            self.path.unlink()
        old_umask = os.umask(0o177)  # the socket is born 0600: no window for other users
        try:
            self._server = await asyncio.start_unix_server(
                self._on_connect, path=str(self.path), limit=MAX_LINE
            )
        finally:
            os.umask(old_umask)
        os.chmod(self.path, 0o600)

    async def close(self) -> None:
        """Stop accepting, end open connections, remove the socket file."""
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            if len(self._connections) > MAX_CONNECTIONS:
                log.warning("over %d connections: one refused", MAX_CONNECTIONS)
                await self._reply(writer, Error("busy", "too many connections; try again"))
                return
            sock = writer.get_extra_info("socket")
            uid = peer_uid(sock) if sock is not None else None
            if uid is not None and uid != os.getuid():
                log.warning("refused a connection from uid %s", uid)
                await self._reply(writer, Error("forbidden", "connection from another user"))
                return
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        wait = FIRST_FRAME_S
        while True:
            try:
                line = await asyncio.wait_for(reader.readline(), wait)
                wait = IDLE_TIMEOUT_S
            except TimeoutError:
                return
            except (ValueError, asyncio.LimitOverrunError):
                # Cannot find the next frame boundary: answer, then drop the connection.
                log.warning("line over %d bytes refused", MAX_LINE)
                await self._reply(writer, Error("too_large", f"a line exceeds {MAX_LINE} bytes"))
                return
            if not line:
                return
            if not line.strip():
                continue
            try:
                size = body_size(line)
                if size:  # a hook event: its stdin follows the header, byte for byte
                    line += await asyncio.wait_for(reader.readexactly(size), IDLE_TIMEOUT_S)
                message = decode(line)
            except (asyncio.IncompleteReadError, TimeoutError):
                log.warning("a hook event's body did not arrive whole")
                return
            except ProtocolError as exc:
                log.warning("bad frame (%s): %s", exc.code, exc)
                await self._reply(writer, Error(exc.code, str(exc)))
                continue
            try:
                reply = await self.handler(message)
            except Exception as exc:
                log.exception("handler failed on %s", message.TYPE)
                reply = Error("internal", f"internal error: {exc}")
            await self._reply(writer, reply)

    @staticmethod
    async def _reply(writer: asyncio.StreamWriter, message: Message) -> None:
        # Encoded here, under a guard: a reply that cannot be sent (over the frame limit, or
        # not serializable) becomes an Error reply instead of a dropped connection.
        try:
            frame = encode(message)
        except ProtocolError as exc:
            log.error("%s reply not sent: %s", message.TYPE, exc)
            frame = encode(Error(exc.code, f"the {message.TYPE} reply was not sent: {exc}"))
        except (TypeError, ValueError) as exc:
            log.exception("%s reply not sent", message.TYPE)
            frame = encode(Error("internal", f"the {message.TYPE} reply was not sent: {exc}"))
        writer.write(frame)
        await writer.drain()
