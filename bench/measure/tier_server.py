"""The tier that plays PostgREST's part: a child process serving minimal HTTP/1.1 (keep-alive,
one GET per request) on 127.0.0.1, running every request on its own pool of POOL_SIZE
connections beside PostgreSQL (PostgREST's `db-pool` default), on the undelayed link.

One thread, one selector, as warp + hasql do it with green threads: a request is parsed when
its bytes have arrived; only then does it take a pooled connection (or queue, first come first
served, for one to come back); its statements are exactly `postgrest.request(...)`, each sent
prepared and awaited in turn (`wire.Pending`, the client side's own non-blocking pipeline);
the connection goes back to the pool before the response is written. The response body is the
main statement's `body` column as PostgreSQL sent it (JSON text, not re-encoded), with
`x-tier-us: <handling µs>;<statement µs>;<pool wait µs>` so the client can tell the tier's own
cost from PostgreSQL's.

The request names its SQL with `x-bench-query: <bundle>/<part | join_flat | join_json>`: the
tier does not plan queries from the URL as PostgREST does; the suite's statements are fixed.
The user comes from the URL's `eq.` filter, the claims from the bearer token's payload (its
HS256 signature verified, as PostgREST verifies it), the role from the claims' `role`.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import selectors
import socket
import sys
import time
from collections import deque
from urllib.parse import parse_qsl, urlsplit

import psycopg

from bench.measure import bundles, postgrest
from bench.measure.wire import Wire

POOL_SIZE = 10  # PostgREST's db-pool default
APP_NAME = "bench_tier"  # application_name of the pool's connections (pg_stat_activity)
MAX_HEAD = 64 << 10
REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 500: "Internal Server Error"}


class HttpError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class Tokens(postgrest.Tokens):
    """PostgREST's tx-var parameters from the request's own claims (no lookup: the token is the
    claims). The cache is per user and path, as the client side's; claims_text is set per request."""

    def user(self, uid: str) -> dict:  # pragma: no cover - never called: claims_text is always set
        raise HttpError(500, "the tier looks up no users")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify(bearer: str) -> str:
    """The JWT's payload as JSON text, after checking its HS256 signature."""
    try:
        head, body, sig = bearer.split(".")
    except ValueError:
        raise HttpError(401, "JWSError: the bearer token is not a JWT") from None
    want = hmac.new(postgrest.SECRET, f"{head}.{body}".encode(), hashlib.sha256).digest()
    try:
        if not hmac.compare_digest(want, _unb64(sig)):
            raise HttpError(401, "JWSError JWSInvalidSignature")
        return _unb64(body).decode()
    except (ValueError, UnicodeDecodeError):  # binascii.Error is a ValueError
        raise HttpError(401, "JWSError: the bearer token is not valid base64url") from None


class Request:
    __slots__ = ("conn", "method", "path", "headers", "arrived", "acquired", "db_ns", "sent", "job", "results")

    def __init__(self, conn, method: str, target: str, headers: dict, arrived: int):
        self.conn, self.method, self.headers, self.arrived = conn, method, headers, arrived
        self.path = target
        self.acquired = self.db_ns = self.sent = 0
        self.job: list = []
        self.results: list = []


def parse_head(conn, head: bytes, arrived: int) -> Request:
    lines = head.decode("latin-1").split("\r\n")
    try:
        method, target, version = lines[0].split(" ")
    except ValueError:
        raise HttpError(400, f"malformed request line {lines[0][:80]!r}") from None
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise HttpError(400, f"malformed header line {line[:80]!r}")
        headers[name.strip().lower()] = value.strip()
    return Request(conn, method, target, headers, arrived)


class Tier:
    def __init__(self, dsn: str, pool_size: int = POOL_SIZE):
        self.dsn = dsn
        self.free = deque()
        for _ in range(pool_size):
            conn = psycopg.connect(dsn, autocommit=True, application_name=APP_NAME)
            self.free.append(Wire(conn))
        self.tokens: dict[str, Tokens] = {}
        self.waiting: deque[Request] = deque()
        self.sel = selectors.DefaultSelector()
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=512)
        self.listener.setblocking(False)
        self.sel.register(self.listener, selectors.EVENT_READ, "accept")
        self.sel.register(sys.stdin.fileno(), selectors.EVENT_READ, "control")

    # -- HTTP side
    def serve(self) -> None:
        print(self.listener.getsockname()[1], flush=True)
        while True:
            for key, events in self.sel.select():
                kind = key.data
                if kind == "control":
                    return  # the parent closed our stdin (or died)
                if kind == "accept":
                    self.accept()
                elif isinstance(kind, HttpConn):
                    if events & selectors.EVENT_WRITE:
                        kind.flush()
                    if events & selectors.EVENT_READ:
                        kind.read()
                else:
                    self.step(kind)
            self.dispatch()

    def accept(self) -> None:
        try:
            sock, _ = self.listener.accept()
        except OSError:
            return
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        HttpConn(self, sock)

    # -- the request: statements on a pooled connection
    def prepare(self, req: Request) -> None:
        if req.method != "GET":
            raise HttpError(400, f"only GET is served, not {req.method}")
        url = urlsplit(req.path)
        query = req.headers.get("x-bench-query", "")
        bundle_name, _, key = query.partition("/")
        try:
            bundle = bundles.load(bundle_name)
        except KeyError:
            raise HttpError(404, f"unknown x-bench-query {query!r}: <bundle>/<part|join_flat|join_json>") from None
        sql_text = bundle.single.get(key) or (getattr(bundle, key) if key in ("join_flat", "join_json") else None)
        if sql_text is None:
            raise HttpError(404, f"bundle {bundle_name!r} has no part {key!r}")
        uid = next((v[3:] for _, v in parse_qsl(url.query) if v.startswith("eq.")), None)
        if not uid:
            raise HttpError(400, "the request names no user (a filter such as user_id=eq.<uuid>)")
        auth = req.headers.get("authorization", "")
        if not auth.lower().startswith("bearer "):
            raise HttpError(401, "no bearer token (Authorization: Bearer <JWT>)")
        claims_text = verify(auth[7:])
        role = json.loads(claims_text).get("role") or "anon"
        tokens = self.tokens.get(role)
        if tokens is None:
            tokens = self.tokens[role] = Tokens(self.dsn, role, claims_text)
        tokens.claims_text = claims_text
        req.job = postgrest.request(tokens, sql_text, uid, url.path)

    def dispatch(self) -> None:
        while self.waiting and self.free:
            req = self.waiting.popleft()
            if req.conn.closed:
                continue
            wire = self.free.popleft()
            req.acquired = time.perf_counter_ns()
            self.send_next(req, wire)

    def send_next(self, req: Request, wire: Wire) -> None:
        req.sent = time.perf_counter_ns()
        try:
            pending = wire.send(req.job.pop(0))
        except psycopg.Error as exc:
            return self.finish(req, wire, error=exc)
        self.sel.register(pending.fileno(), selectors.EVENT_READ, (req, wire, pending))

    def step(self, data) -> None:
        req, wire, pending = data
        try:
            if not pending.done():
                return
            self.sel.unregister(pending.fileno())
            req.db_ns += time.perf_counter_ns() - req.sent
            req.results.extend(pending.results())
        except psycopg.Error as exc:
            return self.finish(req, wire, error=exc)
        if req.job:
            return self.send_next(req, wire)
        self.finish(req, wire)

    def finish(self, req: Request, wire: Wire, error: Exception | None = None) -> None:
        try:
            self.sel.unregister(wire.pgconn.socket)
        except (KeyError, ValueError):
            pass
        body = None
        if error is None:
            res = req.results[postgrest.MAIN_AT]
            col = next(i for i in range(res.nfields) if res.fname(i) == b"body")
            body = res.get_value(0, col) if res.ntuples else b"[]"
        elif wire.pgconn.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            wire.conn.pgconn.exec_(b"ROLLBACK")  # a failed request leaves its transaction behind
        self.free.append(wire)  # back to the pool before the response travels
        if error is not None:
            return req.conn.respond(req, 500, error_body(str(error)))
        req.conn.respond(req, 200, body)


def error_body(message: str) -> bytes:
    return json.dumps({"code": "BENCH", "message": message, "details": None, "hint": None}).encode()


class HttpConn:
    """One keep-alive client connection; its requests are served in turn."""

    def __init__(self, tier: Tier, sock: socket.socket):
        self.tier, self.sock = tier, sock
        self.inbuf, self.out = bytearray(), bytearray()
        self.busy = self.closed = False
        tier.sel.register(sock, selectors.EVENT_READ, self)

    def read(self) -> None:
        try:
            data = self.sock.recv(1 << 16)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            return self.close()
        self.inbuf += data
        self.next_request()

    def next_request(self) -> None:
        if self.busy or self.closed:
            return
        end = self.inbuf.find(b"\r\n\r\n")
        if end < 0:
            if len(self.inbuf) > MAX_HEAD:
                self.fail(400, "request head too large")
            return
        head = bytes(self.inbuf[:end])
        del self.inbuf[:end + 4]
        self.busy = True
        arrived = time.perf_counter_ns()
        try:
            req = parse_head(self, head, arrived)
            if int(req.headers.get("content-length", "0") or 0):
                raise HttpError(400, "a GET carries no body")
            self.tier.prepare(req)
        except HttpError as exc:
            return self.fail(exc.status, str(exc), arrived)
        except Exception as exc:  # noqa: BLE001 - any bad request gets an answer, not a hang
            return self.fail(400, f"{type(exc).__name__}: {exc}", arrived)
        self.tier.waiting.append(req)

    def fail(self, status: int, message: str, arrived: int | None = None) -> None:
        req = Request(self, "GET", "", {}, arrived or time.perf_counter_ns())
        self.respond(req, status, error_body(message))

    def respond(self, req: Request, status: int, body: bytes) -> None:
        now = time.perf_counter_ns()
        total = (now - req.arrived) // 1000
        wait = (req.acquired - req.arrived) // 1000 if req.acquired else 0
        head = (f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}\r\n"
                "Content-Type: application/json; charset=utf-8\r\n"
                f"Content-Length: {len(body)}\r\n"
                f"x-tier-us: {total};{req.db_ns // 1000};{wait}\r\n\r\n").encode()
        self.out += head
        self.out += body
        self.busy = False
        self.flush()
        self.next_request()

    def flush(self) -> None:
        if self.closed:
            return
        try:
            sent = self.sock.send(self.out) if self.out else 0
        except BlockingIOError:
            sent = 0
        except OSError:
            return self.close()
        del self.out[:sent]
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if self.out else 0)
        self.tier.sel.modify(self.sock, events, self)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.tier.sel.unregister(self.sock)
            self.sock.close()


def main(dsn: str, pool_size: int) -> None:
    Tier(dsn, pool_size).serve()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else POOL_SIZE)
