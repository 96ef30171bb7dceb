"""A read request as PostgREST makes it for supabase-js, statement by statement.

Read from PostgREST's sources (PostgREST/postgrest, `src/library/PostgREST/`): `MainTx.hs` opens a
hasql transaction, `BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY` for a GET; `PreQuery.txVarQuery`
sends one `select set_config(...)` of search_path, the role's settings (before the role, issue
3045), role, request.jwt.claims (the claims with "role" inserted), request.method, request.path,
request.headers and request.cookies (JSON objects); `Statements.mainRead` wraps the node's SELECT
as `pgrst_source` and returns one JSON body; then COMMIT. hasql sends each statement and awaits
its result before the next, every one prepared (`db-prepared-statements` defaults to true) with
the values as parameters of unknown type.

The claims are those Supabase Auth's token service (supabase/auth `internal/tokens/service.go`,
`AccessTokenClaims`) puts in an access token, built from the seeded user; the headers are those a
supabase-js request carries through Kong, its bearer token included.

The main statement of each of the memo's queries is built as PostgREST builds it
(`postgrest_shapes`: qualified names, the filter's value and `LIMIT 1000 OFFSET 0` bound as
parameters, the embed of the JOIN strategy, the RPC call).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from functools import cache

import psycopg
from psycopg import sql

from bench.measure import postgrest_shapes
from bench.sql import sql_text


def _uncommented(text: str) -> str:
    """A statement without its whole-line comments (PostgREST sends none)."""
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--")).strip().rstrip(";")


def _statement(name: str) -> str:
    return _uncommented(sql_text(f"postgrest/{name}.sql"))


BEGIN = _statement("begin_read")
COMMIT = _statement("commit")
MAIN_AT = 2  # the main statement's result among a request's results (BEGIN, tx vars, main, COMMIT)

SEARCH_PATH = '"public", "public", "extensions"'  # db-schemas public + Supabase's db-extra-search-path
ROLE_SETTINGS = {  # supabase/postgres: ALTER ROLE ... SET statement_timeout; PostgREST applies them per request
    "authenticated": (("statement_timeout", "8s"),),
    "anon": (("statement_timeout", "3s"),),
}
ISSUER = "https://abcdefghijklmnopqrst.supabase.co/auth/v1"
IAT = 1_780_000_000  # a fixed issue time: every run sends the same bytes
SECRET = b"super-secret-jwt-token-with-at-least-32-characters-long"
CLIENT_INFO = "supabase-js-web/2.49.4"


def _set(name: str | None) -> sql.Composable:
    """One `set_config(name, $n, true)`; a role setting's name is a parameter too (setConfigWithDynamicName)."""
    key = sql.SQL("%s") if name is None else sql.Literal(name)
    return sql.SQL("set_config({}, %s, true)").format(key)


@cache
def tx_vars_statement(role: str) -> str:
    """PostgREST's txVarQuery for `role`, with $n placeholders in its order."""
    parts = [_set("search_path"), *[_set(None) for _ in ROLE_SETTINGS.get(role, ())], _set("role"),
             _set("request.jwt.claims"), _set("request.method"), _set("request.path"),
             _set("request.headers"), _set("request.cookies")]
    text = sql.SQL("select {}").format(sql.SQL(", ").join(parts)).as_string()
    for n in range(1, text.count("%s") + 1):
        text = text.replace("%s", f"${n}", 1)
    return text


@cache
def read_statement(source: str) -> str:
    """PostgREST's mainRead around the node's SELECT (the memo's single-table query or a join)."""
    return sql.SQL(_statement("read_body")).format(source=sql.SQL(_uncommented(source))).as_string()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _json(value) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)  # aeson: compact, keys in order


def claims(user: dict, role: str = "authenticated") -> dict:
    """Supabase Auth's access-token claims for a seeded auth.users row."""
    uid = str(user["id"])
    return {
        "iss": ISSUER, "sub": uid, "aud": user.get("aud") or "authenticated",
        "exp": IAT + 3600, "iat": IAT,
        "email": user.get("email") or "", "phone": user.get("phone") or "",
        "app_metadata": user.get("raw_app_meta_data") or {},
        "user_metadata": user.get("raw_user_meta_data") or {},
        "role": role, "aal": "aal1",
        "amr": [{"method": "password", "timestamp": IAT}],
        "session_id": str(uuid.uuid5(uuid.NAMESPACE_URL, uid)),
        "is_anonymous": bool(user.get("is_anonymous")),
    }


def token(payload: dict) -> str:
    """An HS256 JWT of `payload`, the bytes the client sends as its bearer token."""
    head = _b64(_json({"alg": "HS256", "kid": "bench", "typ": "JWT"}).encode())
    body = _b64(_json(payload).encode())
    sig = _b64(hmac.new(SECRET, f"{head}.{body}".encode(), hashlib.sha256).digest())
    return f"{head}.{body}.{sig}"


ANON_KEY = token({"iss": "supabase", "ref": "abcdefghijklmnopqrst", "role": "anon", "iat": IAT, "exp": IAT + 10 ** 8})


def headers(bearer: str) -> dict:
    """A supabase-js GET as it reaches PostgREST through Kong (lower-cased names)."""
    return {
        "accept": "*/*", "accept-encoding": "gzip, deflate", "accept-profile": "public",
        "apikey": ANON_KEY, "authorization": f"Bearer {bearer}", "connection": "keep-alive",
        "host": "abcdefghijklmnopqrst.supabase.co", "user-agent": "node", "x-client-info": CLIENT_INFO,
        "x-forwarded-for": "203.0.113.7", "x-forwarded-host": "abcdefghijklmnopqrst.supabase.co",
        "x-forwarded-port": "443", "x-forwarded-proto": "https", "x-real-ip": "203.0.113.7",
    }


class Tokens:
    """Per user, the tx-var parameters PostgREST would send: claims built from auth.users once,
    on a connection of its own (untimed), then cached."""

    def __init__(self, dsn: str, role: str = "authenticated", claims_text: str | None = None):
        self.dsn, self.role, self.claims_text = dsn, role, claims_text
        self.conn: psycopg.Connection | None = None
        self.cache: dict[str, list[bytes]] = {}  # "user path" -> the tx vars' parameters
        self.users: dict[str, dict] = {}

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()

    def user(self, uid: str) -> dict:
        """The auth.users row the token service reads (cached)."""
        if uid in self.users:
            return self.users[uid]
        if self.conn is None:
            self.conn = psycopg.connect(self.dsn, autocommit=True)
        cur = self.conn.execute(_statement("user_for_token").replace("$1", "%s"), (uid,))
        row = cur.fetchone()
        user = self.users[uid] = dict(zip([c.name for c in cur.description], row)) if row else {"id": uid}
        return user

    def params(self, user_id, path: str) -> list[bytes]:
        uid = str(user_id)
        key = f"{uid} {path}"
        if key not in self.cache:
            if self.claims_text is not None:  # an explicit caller (rls): its claims as given
                text, bearer = self.claims_text, token(json.loads(self.claims_text or "{}"))
            else:
                payload = claims(self.user(uid), self.role)
                text, bearer = _json(payload), token(payload)
            self.cache[key] = tx_params(self.role, text, "GET", path, bearer)
        return self.cache[key]


def tx_params(role: str, claims_text: str, method: str, path: str, bearer: str) -> list[bytes]:
    """The parameters of `tx_vars_statement(role)`: search_path, the role's settings, role, claims,
    method, path, the request's headers (as they reach PostgREST through Kong) and cookies."""
    values = [SEARCH_PATH, *[v for kv in ROLE_SETTINGS.get(role, ()) for v in kv], role,
              claims_text, method, path, _json(headers(bearer)), "{}"]
    return [v.encode() for v in values]


def main_statement(query: str, user_id) -> tuple[str, list[bytes]]:
    """The statement PostgREST sends for one of the memo's queries (postgrest_shapes: qualified
    names, db-max-rows on every node, the embed, the RPC call); any other statement wrapped in
    mainRead as it is, bound to the user's id."""
    known = postgrest_shapes.by_query().get(query)
    if known is not None:
        return known.text, known.bind(user_id)
    return read_statement(query), [str(user_id).encode()]


def request(tokens: Tokens, query: str, user_id, path: str) -> list[list[tuple[str, list[bytes]]]]:
    """One GET: its statements as steps, each sent and awaited in turn."""
    return [[(BEGIN, [])], [(tx_vars_statement(tokens.role), tokens.params(user_id, path))],
            [main_statement(query, user_id)], [(COMMIT, [])]]


def body_rows(names: tuple[str, ...], rows: list) -> tuple[tuple[str, ...], list[tuple]]:
    """The JSON body of mainRead's one row -> the node's column names and rows, as a client uses them."""
    body = rows[0][names.index("body")] if rows else []
    if isinstance(body, str):
        body = json.loads(body)
    if isinstance(body, dict):  # a function's scalar JSON object (mainCall): one item
        body = [body]
    cols = tuple(body[0]) if body else ()
    return cols, [tuple(item.values()) for item in body]
