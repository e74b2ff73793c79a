"""gunicorn's gthread worker, except that a request reaches a thread only once it has arrived whole.

gthread hands a connection to a thread as soon as its first byte arrives; the
thread then blocks reading the rest, so a few clients trickling their headers
or body at a byte a second take every thread. Here the worker's own event loop
reads each request (head and body) without blocking and gives it to a thread
only when it is complete; a connection that has not delivered its whole request
within `read_timeout_s` gets a 408 and is closed. A thread then never waits on a
client: everything it parses is already in memory.

The worker also answers gunicorn's own errors (bad request line, headers too
large, malformed chunked body) in the service's JSON error shape instead of
gunicorn's HTML page, and closes connections without blocking its event loop.
Plain HTTP/1.x only: TLS and cleartext HTTP/2 connections take gthread's path.
"""

from __future__ import annotations

import errno
import io
import json
import selectors
import socket
import time
from functools import partial

from gunicorn.http import errors as http_errors
from gunicorn.http.body import ChunkedReader
from gunicorn.http.unreader import SocketUnreader
from gunicorn.http2 import negotiation
from gunicorn.workers.gthread import _DEFER, STOP_KEEPALIVE_LINGER, TConn, ThreadWorker

# Largest recv() from a client while a request is gathered.
RECV_SIZE = 64 * 1024
# How long a closed connection may keep sending before it is cut (RFC 9112 section 9.6: close the write side first).
LINGER_S = 2.0
LINGER_MAX_BYTES = 64 * 1024
# A stopping worker waits this long for requests still arriving, then answers them 503 (send again).
STOP_GATHER_S = 5.0


def json_error(status: int, reason: str, code: str, message: str) -> bytes:
    """A whole HTTP/1.1 response carrying the service's JSON error shape, closing the connection."""
    body = json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8"
    )
    head = (
        f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nX-Content-Type-Options: nosniff\r\n\r\n"
    )
    return head.encode("latin-1") + body


class RequestFraming:
    """Tells, from the bytes received so far, when one whole HTTP/1.x request (head and body) is in.

    It reads only what framing needs (where the head ends, Content-Length or chunked
    sizes); gunicorn's parser still validates everything. Anything it cannot frame
    (a head over gunicorn's limits, a bad length or chunk line, a body over the
    limit) counts as ready at once: gunicorn's parser or the application then
    refuses it without waiting for more bytes.
    """

    def __init__(self, max_head: int, max_body: int, max_line: int = 8192):
        self.max_head = max_head
        self.max_body = max_body
        self.max_line = max_line
        self.head_end = -1  # index just past the blank line ending the head
        self.expects_continue = False
        self.whole = True  # False when handed over before the body was complete
        self._scan = 0  # where the next search starts
        self._remaining = 0  # body bytes still expected (length mode) or left in the current chunk
        self._mode = "head"  # head -> length | chunk-size | chunk-data | trailer -> done

    def ready(self, buf: bytearray) -> bool:
        """True when buf holds the whole request, or when waiting for more would not help."""
        if self._mode == "head" and not self._read_head(buf):
            return False
        if self._mode == "length":
            return len(buf) - self.head_end >= self._remaining
        return self._read_chunks(buf)

    def _read_head(self, buf: bytearray) -> bool:
        start = 2 if buf[:2] == b"\r\n" else 0  # one empty line may precede the request line
        end = buf.find(b"\r\n\r\n", max(start, self._scan - 3))
        if end < 0:
            self._scan = len(buf)
            if len(buf) > self.max_head:
                self._hand_over()  # gunicorn answers 431
            return False
        self.head_end = end + 4
        lines = bytes(buf[start:end]).split(b"\r\n")
        version = lines[0].rsplit(b" ", 1)[-1]
        lengths, codings = [], []
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name, value = name.strip().lower(), value.strip()
            if name == b"content-length":
                lengths.append(value)
            elif name == b"transfer-encoding":
                codings += [c.strip().lower() for c in value.split(b",")]
            elif name == b"expect" and value.lower() == b"100-continue" and version == b"HTTP/1.1":
                self.expects_continue = True
        if codings:
            if codings[-1] != b"chunked" or lengths:
                return self._hand_over()  # gunicorn answers 400 or 501
            self._mode, self._scan = "chunk-size", self.head_end
            return True
        if not lengths:
            self._mode, self._remaining = "length", 0
            return True
        if len(lengths) > 1 or not lengths[0].isdigit() or int(lengths[0]) > self.max_body:
            return self._hand_over()  # gunicorn answers 400, or the application 413
        self._mode, self._remaining = "length", int(lengths[0])
        return True

    def _read_chunks(self, buf: bytearray) -> bool:
        while True:
            if self._mode == "done":
                return True
            if self._mode == "chunk-data":
                if len(buf) - self._scan < self._remaining + 2:
                    return False
                self._scan += self._remaining + 2
                if buf[self._scan - 2 : self._scan] != b"\r\n":
                    return self._hand_over()  # gunicorn answers 400
                self._mode = "chunk-size"
            elif self._mode == "chunk-size":
                end = buf.find(b"\r\n", self._scan)
                if end < 0:
                    return len(buf) - self._scan > self.max_line and self._hand_over()
                size = bytes(buf[self._scan : end]).split(b";", 1)[0].rstrip(b" \t")
                if not size or size.strip(b"0123456789abcdefABCDEF"):
                    return self._hand_over()  # gunicorn answers 400
                self._remaining = int(size, 16)
                self._scan = end + 2
                if self._remaining == 0:
                    self._mode = "trailer"
                    continue
                self.max_body -= self._remaining
                if self.max_body < 0:
                    return self._hand_over()  # the application answers 413
                self._mode = "chunk-data"
            else:  # trailer: an empty line, or trailer fields then an empty line
                if buf[self._scan : self._scan + 2] == b"\r\n" or buf.find(b"\r\n\r\n", self._scan) >= 0:
                    self._mode = "done"
                elif len(buf) - self._scan > self.max_head:
                    return self._hand_over()
                else:
                    return False

    def _hand_over(self) -> bool:
        self.whole = False
        self._mode = "done"
        return True


class DeadlineUnreader(SocketUnreader):
    """gunicorn's socket reader with a deadline: past it, a read ends as if the client had gone."""

    deadline = float("inf")

    def chunk(self, size_hint=None):
        """One recv(), for at most the time left before the deadline."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            return b""
        self.sock.settimeout(left)
        try:
            return super().chunk(size_hint)
        except TimeoutError:
            return b""


class _Incoming:
    """A request being gathered: its bytes, its framing and when it must be complete."""

    __slots__ = ("buf", "deadline", "framing")

    def __init__(self, framing: RequestFraming, deadline: float, data: bytes):
        self.buf = bytearray(data)
        self.framing = framing
        self.deadline = deadline


class _SendCapture:
    """Stands in for a client socket to catch the error answer gunicorn would write."""

    def __init__(self, sock):
        self._sock = sock
        self.data = b""

    def send(self, data):
        self.data += bytes(data)
        return len(data)

    def sendall(self, data):
        self.data += bytes(data)

    def __getattr__(self, name):
        return getattr(self._sock, name)


class BufferedThreadWorker(ThreadWorker):
    """gthread with requests gathered whole by the event loop; see the module docstring."""

    read_timeout_s = 30.0
    max_body_bytes = 1_000_000

    @classmethod
    def configured(cls, read_timeout_s: float, max_body_bytes: int) -> type:
        """This worker class with the service's read timeout and body limit."""
        return type(cls.__name__, (cls,), {"read_timeout_s": read_timeout_s, "max_body_bytes": max_body_bytes})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.incoming: dict = {}  # connection -> _Incoming, while its request is being gathered
        self.lingering: dict = {}  # connection -> when to stop draining it and close
        self.stopping_since: float | None = None

    # --- gathering requests in the event loop

    def _gathers(self, conn) -> bool:
        return not self.cfg.is_ssl and not negotiation.prior_knowledge_allowed(self.cfg, conn.client)

    def accept(self, listener):
        """Accept a connection and start gathering its first request without a thread."""
        try:
            client, addr = listener.accept()
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        conn = TConn(self.cfg, client, addr, listener.getsockname())  # non-blocking
        if self._gathers(conn):
            self._gather(conn, b"")
        else:
            client.setblocking(True)
            self.enqueue_req(conn)

    def _gather(self, conn, data: bytes) -> None:
        max_head = self.cfg.limit_request_line + self.cfg.limit_request_fields * (self.cfg.limit_request_field_size + 2)
        framing = RequestFraming(max(max_head, 8192) + 4, self.max_body_bytes)
        pending = _Incoming(framing, time.monotonic() + self.read_timeout_s, data)
        if data and self._complete(conn, pending):
            self.enqueue_req(conn)
            return
        self.incoming[conn] = pending
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, conn))

    def _complete(self, conn, pending: _Incoming) -> bool:
        framing = pending.framing
        announced = framing.head_end >= 0
        done = framing.ready(pending.buf)
        if not announced and framing.head_end >= 0 and framing.expects_continue and not done:
            try:
                conn.sock.send(b"HTTP/1.1 100 Continue\r\n\r\n")
            except OSError:
                pass
        if done:
            conn.pending_request = pending
        return done

    def _on_readable(self, conn, _sock) -> None:
        pending = self.incoming[conn]
        data = _receive(conn)
        if data is None:
            return
        if not data:  # the client went away before its request was complete
            self._stop_gathering(conn)
            self._close(conn)
            return
        pending.buf += data
        if self._complete(conn, pending):
            self._stop_gathering(conn)
            self.enqueue_req(conn)

    def _stop_gathering(self, conn) -> None:
        self.incoming.pop(conn, None)
        self._unwatch(conn)

    def _unwatch(self, conn) -> None:
        """Stop polling the connection's socket (it may already be gone from the poller)."""
        try:
            self.poller.unregister(conn.sock)
        except (KeyError, ValueError, OSError):
            pass

    def on_client_socket_readable(self, conn, client):
        """A kept-alive connection sends its next request: gather it too."""
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self._gather(conn, b"")

    def murder_pending(self):
        """Also close connections whose request is overdue (408) and lingering closes that are done waiting.

        When the worker stops, a request still arriving gets STOP_GATHER_S more, then a 503 to retry.
        """
        super().murder_pending()
        now = time.monotonic()
        if not self.alive and self.stopping_since is None:
            self.stopping_since = now
        for conn, pending in list(self.incoming.items()):
            overdue = pending.deadline <= now
            if overdue:
                answer = json_error(
                    408,
                    "Request Timeout",
                    "request_timeout",
                    f"The request was not received in full within {self.read_timeout_s:g} s",
                )
            elif self.stopping_since is not None and (not pending.buf or now >= self.stopping_since + STOP_GATHER_S):
                answer = json_error(
                    503, "Service Unavailable", "restarting", "The server is restarting; send the request again"
                )
            else:
                continue
            self._stop_gathering(conn)
            if pending.buf:
                try:
                    conn.sock.send(answer)
                except OSError:
                    pass
                peer = conn.client[0] if isinstance(conn.client, tuple) else conn.client
                self.log.info("Closing a connection from %s: its request did not arrive in time", peer)
            self._close(conn)
        for conn, until in list(self.lingering.items()):
            if until <= now:
                self._end_linger(conn)

    # --- in the thread: the request is in memory

    def handle(self, conn):
        """Feed the gathered bytes to gunicorn's parser, then serve as gthread does."""
        pending = getattr(conn, "pending_request", None)
        if pending is not None:
            conn.pending_request = None
            conn.sock.setblocking(True)
            conn.init()
            if not isinstance(conn.parser.unreader, DeadlineUnreader):
                conn.parser.unreader = DeadlineUnreader(conn.sock)
            conn.parser.unreader.deadline = pending.deadline
            conn.parser.unreader.unread(bytes(pending.buf))
            conn.whole_request = pending.framing.whole
            conn.sent_continue = pending.framing.expects_continue
        return super().handle(conn)

    def handle_request(self, req, conn):
        """Check a chunked body's framing before the application sees it (a bad one is a 400, not a 500)."""
        if getattr(conn, "sent_continue", False):
            req._expected_100_continue = False  # already answered while gathering
        if req.body is not None and isinstance(req.body.reader, ChunkedReader):
            data = req.body.read(self.max_body_bytes + 1)  # raises gunicorn's chunk errors -> handle_error
            if len(data) > self.max_body_bytes:  # werkzeug would cut it short silently, not answer 413
                message = f"The request body is over the limit of {self.max_body_bytes} bytes"
                conn.sock.sendall(json_error(413, "Request Entity Too Large", "request_entity_too_large", message))
                return False
            rest = req.body.buf.getvalue()
            req.body.buf = io.BytesIO()
            req.body.buf.write(data + rest)
        conn.sock.settimeout(self.read_timeout_s)  # a client that stops reading its answer is dropped
        return super().handle_request(req, conn)

    def _keepalive_after(self, conn, keepalive):
        if not getattr(conn, "whole_request", True):
            return False  # the rest of an over-limit body is still on the wire: close rather than drain it
        return super()._keepalive_after(conn, keepalive)

    def handle_error(self, req, client, addr, exc):
        """gunicorn's choice of status, in the service's JSON error shape instead of its HTML page."""
        capture = _SendCapture(client)
        super().handle_error(req, capture, addr, exc)
        status_line = capture.data.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
        if len(status_line) < 3 or not status_line[1].isdigit():
            return
        status, reason = int(status_line[1]), status_line[2]
        if status >= 500 and not isinstance(exc, http_errors.ParseException):
            message = "Internal error; it has been logged"
        else:
            message = f"{reason}: {exc}"[:300]
        code = reason.lower().replace(" ", "_")
        try:
            client.setblocking(False)
            client.send(json_error(status, reason, code, message))
        except OSError:
            self.log.debug("Failed to send error message.")

    # --- closing without blocking the event loop

    def finish_request(self, conn, fs):
        """As gthread, but a pipelined next request is gathered too, and closes linger in the event loop."""
        if not self._gathers(conn):
            return super().finish_request(conn, fs)
        try:
            result = fs.result() if not fs.cancelled() else False
        except Exception:  # noqa: BLE001  (as gthread: whatever went wrong, the connection is closed)
            result = False
        if result is _DEFER:
            result = False
        if not result:
            self._linger(conn)
            return
        conn.sock.setblocking(False)
        leftover = conn.parser.unreader.take_buffered()
        if leftover:
            self._gather(conn, leftover)
            return
        conn.set_timeout()
        if not self.alive:
            conn.timeout = min(conn.timeout, time.monotonic() + STOP_KEEPALIVE_LINGER)
        self.keepalived_conns.append(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_client_socket_readable, conn))

    def _linger(self, conn) -> None:
        try:
            conn.sock.setblocking(False)
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self._close(conn)
            return
        conn.lingered = 0
        self.lingering[conn] = time.monotonic() + LINGER_S
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_linger_readable, conn))

    def _on_linger_readable(self, conn, _sock) -> None:
        data = _receive(conn)
        if data is None:
            return
        conn.lingered += len(data)
        if not data or conn.lingered >= LINGER_MAX_BYTES:
            self._end_linger(conn)

    def _end_linger(self, conn) -> None:
        self.lingering.pop(conn, None)
        self._unwatch(conn)
        self._close(conn)

    def _close(self, conn) -> None:
        self.nr_conns -= 1
        conn.close()


def _receive(conn) -> bytes | None:
    """What the socket has for us: bytes, b"" when the client has gone, None when nothing is there yet."""
    try:
        return conn.sock.recv(RECV_SIZE)
    except (BlockingIOError, InterruptedError):
        return None
    except OSError:
        return b""
