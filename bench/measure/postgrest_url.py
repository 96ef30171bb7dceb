"""The tier's request planner: a PostgREST URL -> the statement PostgREST sends for it.

The subset of PostgREST's grammar that the memo, its alternatives and the suite use (read from
PostgREST/postgrest `src/library/PostgREST/`: ApiRequest/QueryParams.hs, Plan.hs, Error.hs):

- `GET /<table>?select=<items>&<col>=eq.<v>&order=<col>.<asc|desc>,...&limit=<n>&offset=<n>`; an
  item is `*`, a column, or an embedded resource `<table>(<items>)` (nested), whose own range and
  order come as `<table>.order`, `<table>.limit`, `<table>.offset`;
- `Accept: application/vnd.pgrst.object+json` (supabase-js `.single()`): one object, PGRST116 when
  the result is not one row;
- `GET /rpc/<fn>?<arg>=<v>` and `POST /rpc/<fn>` with a JSON object body (supabase-js `.rpc()`),
  for functions returning a scalar (json).

An embed is planned along a foreign key between two tables of the exposed schema, found in the
schema cache read from the catalog at start (`SchemaCache.load`): a child that references the
parent (one-to-many, or one-to-one when the key is the child's own key). With no such key the
request is refused as PostgREST refuses it (PGRST200: on the star, every spoke references
auth.users, which is not exposed). A table not in the cache is PGRST205, a function PGRST202.
An unknown column is left to PostgreSQL, as PostgREST leaves it (42703, HTTP 400).
Anything outside the subset is refused with code BENCH and says so: never planned differently.
Not reproduced: the fuzzy "Perhaps you meant" hints (null here), many-to-one embeds, other operators.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import parse_qsl, unquote, urlsplit

from bench.measure import postgrest_shapes as shapes
from bench.sql import sql_text

PREFIX = "/rest/v1"  # Kong's route to PostgREST (stripped before PostgREST sees the path)
SINGULAR = "application/vnd.pgrst.object+json"
RESERVED = {"select", "order", "limit", "offset", "columns", "on_conflict"}


class ApiError(Exception):
    """A refusal with PostgREST's status and JSON error body."""

    def __init__(self, status: int, code: str, message: str, details: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.details, self.hint = status, code, message, details, hint

    def body(self) -> bytes:
        return json.dumps({"code": self.code, "details": self.details, "hint": self.hint,
                           "message": self.message}).encode()


def outside(what: str) -> ApiError:
    return ApiError(400, "BENCH", f"outside the tier's subset of PostgREST's grammar: {what}")


@dataclass(frozen=True)
class Function:
    args: tuple[str, ...]
    types: tuple[str, ...]
    scalar: bool
    volatile: bool


@dataclass(eq=False)  # hashed by identity: one per tier
class SchemaCache:
    schema: str
    tables: dict[str, tuple[str, ...]]
    fks: list[dict] = field(default_factory=list)  # {child, column, parent, ref, unique}
    functions: dict[str, Function] = field(default_factory=dict)

    @classmethod
    def load(cls, conn, schema: str = shapes.SCHEMA) -> SchemaCache:
        """Read from the catalog on `conn` (a psycopg connection), as PostgREST reads its cache at start."""
        raw = conn.execute(sql_text("postgrest/schema_cache.sql").replace("$1", "%(schema)s"), {"schema": schema}).fetchone()[0]
        raw = json.loads(raw) if isinstance(raw, str) else raw
        funcs = {name: Function(tuple(f["args"]), tuple(f["types"]), f["scalar"], f["volatile"])
                 for name, f in raw["functions"].items()}
        return cls(schema, {t: tuple(c or ()) for t, c in raw["tables"].items()}, raw["fks"], funcs)

    def child_key(self, parent: str, child: str) -> dict | None:
        """The foreign key by which `child` references `parent` (a to-many or to-one embed)."""
        return next((k for k in self.fks if k["parent"] == parent and k["child"] == child), None)


@dataclass(frozen=True)
class Plan:
    """What the tier sends for a request: the main statement, and how to run it."""

    statement: shapes.Statement
    method: str
    path: str  # request.path as PostgREST records it (Kong's prefix stripped)
    singular: bool = False
    json_body: bool = False  # the first parameter is json (POST /rpc): prepared with its type


def _split(items: str) -> list[str]:
    """`*,a(*),b(x,c(*))` -> top-level items."""
    out, depth, cur = [], 0, ""
    for ch in items:
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
            continue
        depth += (ch == "(") - (ch == ")")
        if depth < 0:
            raise ApiError(400, "PGRST100", f'"failed to parse select parameter ({items})"')
        cur += ch
    if depth:
        raise ApiError(400, "PGRST100", f'"failed to parse select parameter ({items})"')
    return [*out, cur]


def _order(text: str) -> tuple[tuple[str, str], ...]:
    terms = []
    for term in text.split(","):
        col, _, rest = term.partition(".")
        direction = {"asc": "ASC", "desc": "DESC", "": ""}.get(rest)
        if direction is None or not col:
            raise outside(f"order term {term!r} (only <column>.asc|desc)")
        if not direction:
            raise outside(f"order term {term!r} without a direction")
        terms.append((col, direction))
    return tuple(terms)


def _int(name: str, value: str) -> int:
    if not value.isdigit():
        raise ApiError(400, "PGRST100", f'"failed to parse {name} parameter ({value})"')
    return int(value)


def _node(cache: SchemaCache, table: str, select: str, scoped: dict[str, dict], filters=(), prefix: str = "") -> shapes.Node:
    """The read plan of `table` for its select items; `scoped[<path>]` holds an embed's order/limit/offset."""
    columns, embeds, star = [], [], False
    for item in _split(select or "*"):
        item = item.strip()
        if item == "*":
            star = True
        elif "(" in item:
            name, inner = item.split("(", 1)
            if not inner.endswith(")") or ":" in name or "!" in name:
                raise outside(f"select item {item!r} (aliases, hints and spreads are not served)")
            key = cache.child_key(table, name)
            if key is None:
                raise ApiError(400, "PGRST200", f"Could not find a relationship between '{table}' and '{name}' in the "
                               "schema cache", f"Searched for a foreign key relationship between '{table}' and "
                               f"'{name}' in the schema '{cache.schema}', but no matches were found.")
            child = _node(cache, name, inner[:-1], scoped, (), f"{prefix}{name}.")
            embeds.append(shapes.Embed(child, key["column"], key["ref"], bool(key["unique"])))
        elif item and all(c.isalnum() or c == "_" for c in item):
            columns.append(item)
        else:
            raise outside(f"select item {item!r} (only *, columns and embeds)")
    if star and columns:
        raise outside("`*` beside named columns")
    own = scoped.get(prefix, {})
    order = _order(own["order"]) if "order" in own else ()
    limit = _int("limit", own["limit"]) if "limit" in own else None
    offset = _int("offset", own["offset"]) if "offset" in own else 0
    return shapes.Node(table, tuple(columns), tuple(filters), order, limit, offset, tuple(embeds))


def _path(target: str) -> tuple[str, list[tuple[str, str]]]:
    url = urlsplit(target)
    path = unquote(url.path)
    if path.startswith(PREFIX + "/"):
        path = path[len(PREFIX):]
    return path, parse_qsl(url.query, keep_blank_values=True)


def plan(cache: SchemaCache, method: str, target: str, headers: dict, body: bytes = b"") -> Plan:
    """The statement PostgREST sends for this request, or the ApiError it answers with (plans are
    kept per request line, accept and body: building the SQL text in Python costs more than
    PostgREST's planning, and the tier's own cost is measured per request)."""
    return _plan(cache, method, target, SINGULAR in headers.get("accept", ""), body)


@lru_cache(maxsize=4096)
def _plan(cache: SchemaCache, method: str, target: str, singular: bool, body: bytes) -> Plan:
    path, query = _path(target)
    parts = path.strip("/").split("/")
    if len(parts) == 2 and parts[0] == "rpc":
        return _call(cache, method, path, parts[1], query, body)
    if len(parts) != 1 or not parts[0]:
        raise ApiError(404, "PGRST125", f"Invalid path specified in request URL: {path}")
    if method != "GET":
        raise outside(f"{method} on a table (only GET reads)")
    table = parts[0]
    if table not in cache.tables:
        raise ApiError(404, "PGRST205", f"Could not find the table '{cache.schema}.{table}' in the schema cache")
    scoped: dict[str, dict] = {}
    filters = []
    select = "*"
    for key, value in query:
        head, dot, last = key.rpartition(".")
        if key == "select":
            select = value
        elif (last if dot else key) in ("order", "limit", "offset"):
            scoped.setdefault(head + dot, {})[last if dot else key] = value
        elif dot:
            raise outside(f"filter on an embedded resource ({key})")
        elif value.startswith("eq."):
            filters.append((key, value[3:]))
        else:
            raise outside(f"filter {key}={value} (only eq.)")
    node = _node(cache, table, select, scoped, filters)
    return Plan(shapes.read_single(node) if singular else shapes.read(node), method, path, singular)


def _call(cache: SchemaCache, method: str, path: str, name: str, query, body: bytes) -> Plan:
    fn = cache.functions.get(name)
    if method == "GET":
        given = {k: v for k, v in query if k not in RESERVED}
    elif method == "POST":
        try:
            given = json.loads(body or b"{}")
        except ValueError:
            raise ApiError(400, "PGRST102", "Empty or invalid json") from None
        if not isinstance(given, dict):
            raise outside("an RPC body that is not one JSON object")
    else:
        raise outside(f"{method} on a function")
    if fn is None or set(given) != set(fn.args):
        keys = sorted(given)
        with_params = (" with parameter" + ("s " if len(keys) > 1 else " ") + ", ".join(keys)) if keys \
            else " without parameters"
        extra = " or with a single unnamed json/jsonb parameter" if method == "POST" else ""
        shown = f"({', '.join(keys)})" if keys else " without parameters"
        raise ApiError(404, "PGRST202", f"Could not find the function {cache.schema}.{name}{shown} in the schema cache",
                       f"Searched for the function {cache.schema}.{name}{with_params}{extra}, but no matches were "
                       "found in the schema cache.")
    if not fn.scalar:
        raise outside(f"function {name} returns rows (only scalar results are served)")
    if method == "POST" and fn.volatile:
        raise outside(f"POST to the volatile function {name} (a read-write transaction)")
    if any(k not in RESERVED for k, _ in query) and method == "POST":
        raise outside("query parameters on a POST /rpc")
    if method == "GET":
        args = tuple((n, t, str(given[n])) for n, t in zip(fn.args, fn.types))
        return Plan(shapes.call(name, args), method, path)
    args = tuple((n, t, None) for n, t in zip(fn.args, fn.types))
    text = body.decode() if body else "{}"
    return Plan(shapes.call(name, args, text), method, path, json_body=True)


def memo_request(bundle: str, key: str, user_id) -> tuple[str, str, bytes]:
    """(method, target, body) of the supabase-js call for a part, the embed (`join_json`) or the
    RPC (`rpc`) of a bundle: `.from(part).select('*').eq(col, uid)` (`.order()`/`.limit()` where the
    bundle pages), `.from('profiles').select('*,<spoke>(*),...').eq('id', uid)`, `.rpc(fn, {uid})`."""
    from bench.measure import bundles  # the memo's bundles: only the clients' side needs them

    uid = str(user_id)

    def scoped(table: str, prefix: str = "") -> str:
        out = ""
        if (bundle, table) in shapes.ORDER:
            out += f"&{prefix}order=" + ",".join(f"{c}.{d.lower()}" for c, d in shapes.ORDER[bundle, table])
        if (bundle, table) in shapes.LIMIT:
            out += f"&{prefix}limit={shapes.LIMIT[bundle, table]}"
        return out

    if key == "rpc":
        return "POST", f"{PREFIX}/rpc/{shapes.RPC[bundle]}", json.dumps({"uid": uid}).encode()
    if key == "join_json":
        spokes = [p for p in bundles.PARTS[bundle] if p != shapes.ROOT]
        select = ",".join(["*", *(f"{p}(*)" for p in spokes)])
        tail = "".join(scoped(p, f"{p}.") for p in spokes)
        return "GET", f"{PREFIX}/{shapes.ROOT}?select={select}&{shapes.FILTER[shapes.ROOT]}=eq.{uid}{tail}", b""
    if key not in bundles.PARTS[bundle]:
        raise ValueError(f"{key} has no PostgREST URL (PostgREST generates no flat JOIN)")
    col = shapes.FILTER.get(key, "user_id")
    return "GET", f"{PREFIX}/{key}?select=*&{col}={'eq.' + uid}{scoped(key)}", b""
