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

The tier plans each request from its URL as PostgREST does (`postgrest_url`: the grammar subset
the memo and its alternatives use, a schema cache read from the catalog at start, PostgREST's
error bodies for what it refuses, PGRST200 for an embed with no foreign key between exposed
tables). The claims come from the bearer token's payload (its HS256 signature verified, as
PostgREST verifies it; no Authorization header is the anon role), the role from the claims'
`role`. Verified tokens are cached as PostgREST's JWT cache does (`jwt_cache_s`, its
jwt-cache-max-lifetime; 0 verifies every request), so the cost can be measured both ways.
The token's `exp` is not checked: the suite's tokens carry a fixed issue time (postgrest.IAT).

The parent passes the DSN and settings as one JSON line on the child's stdin (never on its
command line, where `ps` would show a password); stdin stays open, and its EOF stops the tier.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import selectors
import socket
import sys
import time
from collections import OrderedDict, deque

import psycopg
from psycopg import pq

from bench.measure import postgrest, postgrest_url
from bench.measure.postgrest_url import ApiError
from bench.measure.wire import OK, Wire

POOL_SIZE = 10  # PostgREST's db-pool default
APP_NAME = "bench_tier"  # application_name of the pool's connections (pg_stat_activity)
MAX_HEAD = 64 << 10
JWT_CACHE_S = 3600.0  # jwt-cache-max-lifetime (s); 0: every request verifies its token
JWT_CACHE_ENTRIES = 1000  # PostgREST 14's jwt-cache-max-entries default
REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           406: "Not Acceptable", 500: "Internal Server Error", 503: "Service Unavailable"}
JSON_OID = 114


class HttpError(ApiError):
    def __init__(self, status: int, message: str, code: str = "BENCH"):
        super().__init__(status, code, message)


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify(bearer: str) -> str:
    """The JWT's payload as JSON text, after checking its HS256 signature."""
    try:
        head, body, sig = bearer.split(".")
    except ValueError:
        raise HttpError(401, f"Expected 3 parts in JWT; got {len(bearer.split('.'))}", "PGRST301") from None
    want = hmac.new(postgrest.SECRET, f"{head}.{body}".encode(), hashlib.sha256).digest()
    try:
        if not hmac.compare_digest(want, _unb64(sig)):
            raise HttpError(401, "JWT cryptographic operation failed", "PGRST301")
        return _unb64(body).decode()
    except (ValueError, UnicodeDecodeError):  # binascii.Error is a ValueError
        raise HttpError(401, "JWT couldn't be decoded", "PGRST301") from None


class JwtCache:
    """Verified tokens -> (claims text, role), each kept `lifetime_s` (0: none kept), at most
    `entries`, the oldest dropped first; hits and misses counted."""

    def __init__(self, lifetime_s: float = JWT_CACHE_S, entries: int = JWT_CACHE_ENTRIES):
        self.lifetime_s, self.entries = lifetime_s, entries
        self.kept: OrderedDict[str, tuple[float, str, str]] = OrderedDict()
        self.hits = self.misses = 0

    def claims(self, bearer: str) -> tuple[str, str]:
        now = time.monotonic()
        hit = self.kept.get(bearer) if self.lifetime_s > 0 else None
        if hit is not None and hit[0] > now:
            self.hits += 1
            return hit[1], hit[2]
        self.misses += 1
        text = verify(bearer)
        try:
            role = json.loads(text).get("role") or "anon"
        except (ValueError, AttributeError):
            raise HttpError(401, "Parsing claims failed", "PGRST303") from None
        if self.lifetime_s > 0:
            self.kept[bearer] = (now + self.lifetime_s, text, role)
            self.kept.move_to_end(bearer)
            while len(self.kept) > self.entries:
                self.kept.popitem(last=False)
        return text, role


class Request:
    __slots__ = ("conn", "method", "path", "headers", "body", "arrived", "acquired", "db_ns", "sent", "job",
                 "results", "plan")

    def __init__(self, conn, method: str, target: str, headers: dict, arrived: int):
        self.conn, self.method, self.headers, self.arrived = conn, method, headers, arrived
        self.path = target
        self.body = b""
        self.acquired = self.db_ns = self.sent = 0
        self.job: list = []
        self.results: list = []
        self.plan: postgrest_url.Plan | None = None


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
    def __init__(self, dsn: str, pool_size: int = POOL_SIZE, jwt_cache_s: float = JWT_CACHE_S):
        self.dsn = dsn
        self.free = deque()
        for _ in range(pool_size):
            conn = psycopg.connect(dsn, autocommit=True, application_name=APP_NAME)
            self.free.append(Wire(conn))
        self.cache = postgrest_url.SchemaCache.load(self.free[0].conn)
        self.jwt = JwtCache(jwt_cache_s)
        self.tx_params: dict[tuple, list[bytes]] = {}  # (claims, method, path) -> the tx vars' parameters
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
        """Authenticate (as PostgREST does first), plan from the URL, and queue the statements."""
        auth = req.headers.get("authorization", "")
        if not auth:
            claims_text, role, bearer = '{"role":"anon"}', "anon", ""
        elif auth[:7].lower() == "bearer ":
            bearer = auth[7:].strip()
            if not bearer:
                raise HttpError(401, "Empty JWT is sent in Authorization header", "PGRST301")
            claims_text, role = self.jwt.claims(bearer)
        else:
            raise HttpError(401, "Expected 3 parts in JWT; got 1", "PGRST301")
        req.plan = plan = postgrest_url.plan(self.cache, req.method, req.path, req.headers, req.body)
        key = (claims_text, plan.method, plan.path)
        params = self.tx_params.get(key)
        if params is None:
            if len(self.tx_params) > 4096:
                self.tx_params.clear()
            params = self.tx_params[key] = postgrest.tx_params(role, claims_text, plan.method, plan.path, bearer)
        st = plan.statement
        req.job = [[(postgrest.BEGIN, [])], [(postgrest.tx_vars_statement(role), params)],
                   [(st.text, [v.encode() for v in st.params])], [(postgrest.COMMIT, [])]]

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
            if len(req.job) == 2:  # the main statement (its body parameter json for POST /rpc)
                _prepare(wire, req.job[0][0][0], [JSON_OID] if req.plan.json_body else None)
            pending = wire.send(req.job.pop(0))
        except (psycopg.Error, ApiError) as exc:
            return self.finish(req, wire, error=exc)
        self.sel.register(pending.fileno(), selectors.EVENT_READ, (req, wire, pending))

    def step(self, data) -> None:
        req, wire, pending = data
        try:
            if not pending.done():
                return
            self.sel.unregister(pending.fileno())
            req.db_ns += time.perf_counter_ns() - req.sent
            failed = next((r for r in pending._results if r.status not in OK), None)
            if failed is not None:
                wire.pgconn.exit_pipeline_mode()
                return self.finish(req, wire, error=result_error(failed))
            req.results.extend(pending.results())
        except psycopg.Error as exc:
            return self.finish(req, wire, error=exc)
        if len(req.results) == postgrest.MAIN_AT + 1 and req.plan.singular:
            res = req.results[postgrest.MAIN_AT]
            rows = int(res.get_value(0, 1) or 0) if res.ntuples else 0
            if rows != 1:  # PGRST116: the transaction is rolled back, as PostgREST condemns it
                return self.finish(req, wire, error=ApiError(406, "PGRST116", "Cannot coerce the result to a single "
                                                             "JSON object", f"The result contains {rows} rows"))
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
            err = error if isinstance(error, ApiError) else ApiError(500, "BENCH", str(error))
            return req.conn.respond(req, err.status, err.body())
        req.conn.respond(req, 200, body)


def _prepare(wire: Wire, text: str, oids: list[int] | None) -> None:
    """Prepare `text` on the wire (with its parameters' types where given: hasql sends a body as
    json); a failure (an unknown column: 42703) is PostgreSQL's error as PostgREST reports it."""
    if text not in wire.names:
        name = f"bench_{len(wire.names)}".encode()
        res = wire.pgconn.prepare(name, text.encode(), oids)
        if res.status not in OK:
            raise result_error(res)
        wire.names[text] = name


def result_error(res) -> ApiError:
    """A failed PGresult as PostgREST answers it: the SQLSTATE as the code, its HTTP status
    (Error.hs mapSQLtoHTTP, the codes a read can meet), PostgreSQL's message, detail and hint."""
    field = lambda f: (res.error_field(f) or b"").decode(errors="replace") or None  # noqa: E731
    state = field(pq.DiagnosticField.SQLSTATE) or ""
    status = {"42P01": 404, "42883": 404, "42501": 401, "42P17": 500, "P0001": 400}.get(state)
    if status is None:
        status = 503 if state[:2] in ("08", "53") else 500 if state[:2] in ("25", "2D", "40", "XX", "P0") else 400
    return ApiError(status, state or "BENCH", field(pq.DiagnosticField.MESSAGE_PRIMARY) or "statement failed",
                    field(pq.DiagnosticField.MESSAGE_DETAIL), field(pq.DiagnosticField.MESSAGE_HINT))


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
                self.inbuf.clear()
                self.fail(HttpError(400, "request head too large"))
            return
        try:
            req = parse_head(self, bytes(self.inbuf[:end]), 0)
            length = int(req.headers.get("content-length", "0") or 0)
        except (HttpError, ValueError) as exc:
            del self.inbuf[:end + 4]
            return self.fail(exc if isinstance(exc, ApiError) else HttpError(400, f"bad Content-Length: {exc}"))
        if len(self.inbuf) < end + 4 + length:
            return  # the body is still on its way
        req.body = bytes(self.inbuf[end + 4:end + 4 + length])
        del self.inbuf[:end + 4 + length]
        self.busy = True
        req.arrived = arrived = time.perf_counter_ns()
        try:
            self.tier.prepare(req)
        except ApiError as exc:
            return self.fail(exc, arrived)
        except Exception as exc:  # noqa: BLE001 - any bad request gets an answer, not a hang
            return self.fail(HttpError(400, f"{type(exc).__name__}: {exc}"), arrived)
        self.tier.waiting.append(req)

    def fail(self, error: ApiError, arrived: int | None = None) -> None:
        self.busy = True
        req = Request(self, "GET", "", {}, arrived or time.perf_counter_ns())
        self.respond(req, error.status, error.body())

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


def _config_line() -> dict:
    """The parent's one JSON line on stdin (read unbuffered: the rest of stdin is the control channel)."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = os.read(sys.stdin.fileno(), 1)
        if not chunk:
            raise SystemExit("the tier got no settings on stdin")
        data += chunk
    return json.loads(data)


def main() -> None:
    """{"dsn": ..., "pool_size": n, "jwt_cache_s": s} arrives on stdin; the port goes to stdout."""
    cfg = _config_line()
    Tier(cfg["dsn"], int(cfg.get("pool_size", POOL_SIZE)), float(cfg.get("jwt_cache_s", JWT_CACHE_S))).serve()


if __name__ == "__main__":
    main()
