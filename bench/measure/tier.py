"""The client side of the PostgREST tier (`tier_server`): starting it as a child process, and
speaking HTTP/1.1 to it as supabase-js does (one GET per `.from(t).select()`, keep-alive).

`Client.exchange({key: request})` sends each request on its own keep-alive connection, from
one thread, and waits on all their sockets at once (non-blocking sockets, one selector): three
parallel fetches are three requests in flight, as `Promise.all` makes them; a single request
is an exchange of one. Each response is read to its Content-Length and returned with the
tier's own timings (`x-tier-us`); parsing the JSON body is the caller's, timed as decode.
"""
from __future__ import annotations

import json
import selectors
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.measure import postgrest

TIMEOUT_S = 60.0  # a response that takes longer is a failure, not a hang


class TierError(RuntimeError):
    """The tier answered with an HTTP error (its message included) or broke the connection."""


@dataclass
class Response:
    status: int
    body: bytes
    tier_us: int  # the tier's handling: request parsed -> response written
    db_us: int  # of which its statements, sent until each result arrived
    wait_us: int  # of which waiting for a pooled connection


class Process:
    """`with Process(dsn) as tier:` a tier on 127.0.0.1:tier.port, its pool on `dsn`; verified
    tokens kept `jwt_cache_s` seconds (0: every request verifies its token). The DSN travels on
    the child's stdin, never on its command line (`ps` shows a command line to every user)."""

    def __init__(self, dsn: str, pool_size: int = 10, jwt_cache_s: float | None = None):
        self.dsn, self.pool_size, self.port = dsn, pool_size, 0
        self.jwt_cache_s = jwt_cache_s
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Process:
        root = str(Path(__file__).resolve().parents[1])
        code = "import sys; sys.path.insert(0, sys.argv[1]); from bench.measure.tier_server import main; main()"
        self.proc = subprocess.Popen([sys.executable, "-c", code, root],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        cfg = {"dsn": self.dsn, "pool_size": self.pool_size,
               **({} if self.jwt_cache_s is None else {"jwt_cache_s": self.jwt_cache_s})}
        try:
            self.proc.stdin.write(json.dumps(cfg) + "\n")
            self.proc.stdin.flush()  # stdin stays open: its EOF tells the child to stop
        except BrokenPipeError:
            pass
        line = self.proc.stdout.readline().strip()
        if not line.isdigit():
            self.__exit__()
            raise RuntimeError("the PostgREST tier did not start (its error is printed above)")
        self.port = int(line)
        return self

    def __exit__(self, *exc) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            try:
                proc.stdin.close()  # the child sees EOF and exits, closing its pool
            except BrokenPipeError:
                pass
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            proc.stdout.close()

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None


def request_bytes(method: str, target: str, bearer: str | None, body: bytes = b"", accept: str | None = None) -> bytes:
    """A supabase-js request as it reaches PostgREST through Kong: `GET /rest/v1/<table>?...` or
    `POST /rest/v1/rpc/<fn>` with a JSON body (and content-profile), Kong's headers."""
    hdrs = postgrest.headers(bearer or postgrest.ANON_KEY)
    if bearer is None:
        del hdrs["authorization"]
    if accept:
        hdrs["accept"] = accept
    if method != "GET":
        hdrs["content-profile"] = hdrs["accept-profile"]
        hdrs["content-type"] = "application/json"
    hdrs["content-length"] = str(len(body))
    lines = [f"{method} {target} HTTP/1.1", *(f"{k}: {v}" for k, v in hdrs.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class _Conn:
    __slots__ = ("sock", "buf", "out", "need")

    def __init__(self, addr: tuple[str, int]):
        self.sock = socket.create_connection(addr, timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.buf = bytearray()
        self.out = b""
        self.need = -1  # bytes of the whole response once its head has arrived

    def response(self) -> Response | None:
        """The response, once all of it has arrived (None until then)."""
        if self.need < 0:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return None
            length = 0
            for line in bytes(self.buf[:end]).split(b"\r\n")[1:]:
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            self.need = end + 4 + length
        if len(self.buf) < self.need:
            return None
        head_end = self.buf.find(b"\r\n\r\n")
        head = bytes(self.buf[:head_end]).decode("latin-1").split("\r\n")
        body = bytes(self.buf[head_end + 4:self.need])
        del self.buf[:self.need]
        self.need = -1
        timings = next((h.split(":", 1)[1] for h in head[1:] if h[:10].lower() == "x-tier-us:"), "0;0;0")
        total, db, wait = (int(x) for x in timings.split(";"))
        return Response(int(head[0].split(" ")[1]), body, total, db, wait)


class Client:
    """Keep-alive connections to the tier (through the delay proxy, if `addr` is the proxy's)."""

    def __init__(self, addr: tuple[str, int]):
        self.addr = addr
        self.conns: list[_Conn] = []
        self.sel = selectors.DefaultSelector()

    def _reset(self) -> None:
        for c in self.conns:
            c.sock.close()
        self.conns = []
        self.sel.close()
        self.sel = selectors.DefaultSelector()

    def close(self) -> None:
        for c in self.conns:
            c.sock.close()
        self.conns = []
        self.sel.close()

    def exchange(self, jobs: dict, take=None) -> dict:
        """{key: request bytes} -> {key: take(key, Response)} (default: the Response), every
        request on its own connection, all in flight; `take` runs as each response lands (as
        JavaScript parses each reply), an HTTP error raises TierError with the tier's message."""
        while len(self.conns) < len(jobs):
            self.conns.append(_Conn(self.addr))
        live: dict[int, tuple] = {}
        for (key, data), conn in zip(jobs.items(), self.conns):
            conn.out = data
            self._send(conn)
            self.sel.register(conn.sock, selectors.EVENT_READ | (selectors.EVENT_WRITE if conn.out else 0), (key, conn))
            live[conn.sock.fileno()] = key
        out: dict = {}
        deadline = time.monotonic() + TIMEOUT_S
        try:
            while live:
                ready = self.sel.select(max(0.0, deadline - time.monotonic()))
                if not ready:
                    raise TierError(f"no response from the tier within {TIMEOUT_S:g} s")
                for sk, events in ready:
                    key, conn = sk.data
                    if events & selectors.EVENT_WRITE:
                        self._send(conn)
                        if not conn.out:
                            self.sel.modify(conn.sock, selectors.EVENT_READ, sk.data)
                    if events & selectors.EVENT_READ:
                        resp = self._receive(conn)
                        if resp is not None:
                            self.sel.unregister(conn.sock)
                            del live[conn.sock.fileno()]
                            if resp.status != 200:
                                raise TierError(f"HTTP {resp.status} from the tier for {key!r}: "
                                                f"{resp.body.decode(errors='replace')}")
                            out[key] = take(key, resp) if take else resp
        except BaseException:
            self._reset()  # half-read connections are useless: start afresh next time
            raise
        return {key: out[key] for key in jobs}

    @staticmethod
    def _send(conn: _Conn) -> None:
        try:
            sent = conn.sock.send(conn.out)
        except BlockingIOError:
            sent = 0
        conn.out = conn.out[sent:]

    @staticmethod
    def _receive(conn: _Conn) -> Response | None:
        while True:
            try:
                data = conn.sock.recv(1 << 18)
            except BlockingIOError:
                break
            if not data:
                raise TierError("the tier closed the connection")
            conn.buf += data
        return conn.response()


def body_rows(body: bytes) -> tuple[tuple[str, ...], list[tuple]]:
    """A JSON body (an array of objects, or one object: an RPC's scalar, `.single()`) -> column
    names and rows, as a client uses them."""
    items = json.loads(body)
    if isinstance(items, dict):
        items = [items]
    cols = tuple(items[0]) if items else ()
    return cols, [tuple(item.values()) for item in items]
