"""The statements PostgREST generates for the memo's supabase-js calls, built as PostgREST builds them.

Read from PostgREST/postgrest `src/library/PostgREST/`: `Query/QueryBuilder.readPlanToQuery` renders
a node as `SELECT "public"."t".* FROM "public"."t"  WHERE  "public"."t"."c" = $1   LIMIT $2 OFFSET $3`
(qualified names; the filter's value bound as a parameter of unknown type; `limitOffsetF` binds the
limit and offset as parameters too, and `Plan.treeRestrictRange` gives every node, root and
embedded, the range `LIMIT db-max-rows OFFSET 0`: 1000 on Supabase). An embed (`getJoin`,
`getJoinSelects`) is a `LEFT JOIN LATERAL ( SELECT json_agg(a)::jsonb AS a FROM (child) AS a ) AS a
ON TRUE` per to-many child, selected as `COALESCE( a.a, '[]') AS "child"`, a to-one child
(user_state: its key is its foreign key) as `row_to_json(a.*)::jsonb`; aliases as `addRels` names
them (`profiles_user_roles_1`, `user_roles_1`). `Statements.mainCall` wraps a function call
(`callPlanToQuery`, scalar form) for GET /rpc/<fn>?uid=...

Each fragment is a template in bench/sql/postgrest/select/*.sql; identifiers go in through
psycopg.sql, every value as a `$n` parameter numbered in the order it appears in the text, as
hasql's snippets number them. The statements are keyed by the memo's own query text, so
`postgrest.request(tokens, query, ...)` keeps its signature: it sends the PostgREST statement of a
known query and wraps any other statement (a probe, the RLS experiment's) as before.

What PostgREST allows (EMBED_NOTE, in bench/report/method_notes.py for the 06-method page): the embed is generated only along a foreign key between
exposed tables. On the star every spoke references auth.users, and `auth` is not exposed, so
`profiles?select=*,user_roles(*)` fails with PGRST200 ("Could not find a relationship between
'profiles' and 'user_roles' in the schema cache"); on the relational variant (spokes reference
profiles) it is accepted. The statement's text is the same on both variants: the foreign key only
decides whether PostgREST generates it. So the embed timed on the star dataset is the cost the
relational variant's request has (tests run it on both); a Supabase user on the star writes an RPC.

db-max-rows: the direct strategies keep the memo's literal, uncapped SQL; through PostgREST every
node returns at most MAX_ROWS rows. The memo's calls give no `.order()`, and PostgREST adds none
(orderF renders only the request's order), so a capped node returns whichever 1000 rows the plan
meets first; we do not invent an order. The rest path's same-answer check
(`experiments.common.rest_answers`, `bundles.capped_parts`) therefore accepts, per part, either the
direct rows exactly or exactly MAX_ROWS of them (a subset) when the direct answer has more, and
records per sampled user and strategy which parts the cap cut. The RPC is not capped inside: the
limit applies to the function's one result, not to the rows the function reads.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from functools import cache

from psycopg import sql

from bench.measure import bundles
from bench.report.method_notes import EMBED_NOTE  # noqa: F401  (the 06-method page's text, read side)
from bench.sql import sql_text

MAX_ROWS = 1000  # db-max-rows: Supabase's default
SCHEMA = "public"
UID = None  # a parameter slot filled with the requested user's id
ROOT = "profiles"  # the embed's root table: every spoke hangs off the profile
TO_ONE = {"user_state"}  # its primary key is its foreign key to profiles: PostgREST embeds an object
FILTER = {"profiles": "id"}  # the column `.eq(...)` filters on; every other part: user_id
ORDER = {("account_paged", "auth_audit_log"): (("created_at", "DESC"), ("id", "DESC"))}  # .order(...)
LIMIT = {("account_paged", "auth_audit_log"): 50}  # .limit(50): the range is min(50, db-max-rows)
RPC = {name: f"get_{name}_bundle" for name in bundles.PARTS}  # schema/rpc.sql



@dataclass(frozen=True)
class Statement:
    """A statement PostgREST sends, its parameters in order (UID: the user's id, else the text)."""

    text: str
    params: tuple[str | None, ...]

    def bind(self, user_id) -> list[bytes]:
        return [(str(user_id) if v is UID else v).encode() for v in self.params]


def _fragment(name: str) -> sql.SQL:
    """A template without its comment lines; its leading space kept (PostgREST's own spacing)."""
    lines = [ln for ln in sql_text(f"postgrest/{name}.sql").splitlines() if not ln.lstrip().startswith("--")]
    return sql.SQL("\n".join(lines).rstrip().rstrip(";"))


class _Params:
    """Parameters in the order they are made; renumbered by their order in the text at the end."""

    def __init__(self):
        self.values: list[str | None] = []

    def __call__(self, value: str | None) -> sql.Composable:
        self.values.append(value)
        return sql.SQL("$" + str(len(self.values)))

    def statement(self, composed: sql.Composable) -> Statement:
        text = composed.as_string()
        seen = [int(m) for m in re.findall(r"\$(\d+)", text)]
        numbers = iter(range(1, len(seen) + 1))
        return Statement(re.sub(r"\$\d+", lambda _: "$" + str(next(numbers)), text),
                         tuple(self.values[k - 1] for k in seen))


def _qi(*names: str) -> sql.Composable:
    return sql.SQL(".").join(sql.Identifier(n) for n in names)


@dataclass(frozen=True)
class Node:
    """One node of a read plan: `table?select=<columns>,<embeds>&<col>=eq.<v>&order=...&limit=&offset=`."""

    table: str
    columns: tuple[str, ...] = ()  # () selects `*`
    filters: tuple[tuple[str, str | None], ...] = ()  # (column, value) of `eq` filters; value UID: the user
    order: tuple[tuple[str, str], ...] = ()  # (column, "ASC" | "DESC")
    limit: int | None = None  # the request's limit; the range is min(limit, db-max-rows)
    offset: int = 0
    embeds: tuple[Embed, ...] = ()


@dataclass(frozen=True)
class Embed:
    """A child embedded along a foreign key: child.column references parent.ref."""

    node: Node
    column: str
    ref: str
    to_one: bool  # the foreign key is the child's key: one object, not an array


def _node(p: _Params, node: Node, alias: str | None = None, cond: sql.Composable | None = None,
          depth: int = 1) -> sql.Composable:
    """readPlanToQuery for `node` (an embedded child has its alias and join condition)."""
    table = node.table
    qi = _qi(alias) if alias else _qi(SCHEMA, table)
    source = _qi(SCHEMA, table) if alias is None else sql.SQL("{} AS {}").format(_qi(SCHEMA, table), _qi(alias))
    selects, joins = [], []
    for emb in node.embeds:  # addRels: the child's alias `<child>_<depth>`, its aggregate `<parent>_<child>_<depth>`
        child = emb.node.table
        agg, child_alias = sql.Identifier(f"{table}_{child}_{depth}"), f"{child}_{depth}"
        child_cond = sql.SQL("{} = {}").format(_qi(child_alias, emb.column), sql.SQL(".").join([qi, sql.Identifier(emb.ref)]))
        inner = _node(p, emb.node, child_alias, child_cond, depth + 1)
        kind = "one" if emb.to_one else "many"
        joins.append(_fragment(f"select/embed_{kind}").format(agg=agg, child=inner))
        selects.append(_fragment(f"select/embed_{kind}_select").format(agg=agg, name=sql.Identifier(child)))
    conditions = [_fragment("select/filter_eq").format(column=sql.SQL(".").join([qi, sql.Identifier(c)]), value=p(v))
                  for c, v in node.filters] + ([cond] if cond is not None else [])
    columns = [sql.SQL(".").join([qi, sql.Identifier(c)]) for c in node.columns] or [sql.SQL("{}.*").format(qi)]
    terms = sql.SQL(", ").join(sql.SQL("{} {}").format(sql.SQL(".").join([qi, sql.Identifier(c)]), sql.SQL(d))
                               for c, d in node.order)
    limit = MAX_ROWS if node.limit is None else min(node.limit, MAX_ROWS)
    return _fragment("select/node").format(
        select=sql.SQL(", ").join([*columns, *selects]), source=source, joins=sql.Composed(joins),
        where=_fragment("select/where").format(conditions=sql.SQL(" AND ").join(conditions)) if conditions else sql.SQL(""),
        order=_fragment("select/order_by").format(terms=terms) if node.order else sql.SQL(""),
        limit=p(str(limit)), offset=p(str(node.offset)))


def _wrap(node: sql.Composable) -> sql.Composable:
    return _fragment("read_body").format(source=node)


def read(node: Node) -> Statement:
    """A GET on a table (its embeds inside) as PostgREST's mainRead."""
    p = _Params()
    return p.statement(_wrap(_node(p, node)))


def _memo_node(bundle: str, table: str, filters=()) -> Node:
    return Node(table, filters=filters, order=ORDER.get((bundle, table), ()), limit=LIMIT.get((bundle, table)))


@cache
def single(bundle: str, part: str) -> Statement:
    """`.from(part).select('*').eq(col, uid)` as PostgREST's mainRead."""
    return read(_memo_node(bundle, part, ((FILTER.get(part, "user_id"), UID),)))


def embed_node(bundle: str) -> Node:
    """`.from('profiles').select('*,<spoke>(*),...').eq('id', uid)`: every spoke under the profile."""
    children = tuple(Embed(_memo_node(bundle, part), "user_id", "id", part in TO_ONE)
                     for part in bundles.PARTS[bundle] if part != ROOT)
    return replace(_memo_node(bundle, ROOT, ((FILTER[ROOT], UID),)), embeds=children)


@cache
def embed(bundle: str) -> Statement:
    """`.from('profiles').select('*,<spoke>(*),...').eq('id', uid)`: the spokes embedded in the profile."""
    return read(embed_node(bundle))


@cache
def rpc(bundle: str) -> Statement:
    """GET /rpc/<fn>?uid=... as PostgREST's mainCall of a scalar function."""
    p = _Params()
    fn = RPC[bundle]
    call = _fragment("select/call_scalar").format(function=_qi(SCHEMA, fn), arg=sql.Identifier("uid"), value=p(UID))
    source = _fragment("select/node").format(
        select=sql.SQL("{}.*").format(_qi(fn)), source=sql.SQL("{} AS {}").format(_qi("pgrst_source"), _qi(fn)),
        joins=sql.SQL(""), where=sql.SQL(""), order=sql.SQL(""), limit=p(str(MAX_ROWS)), offset=p("0"))
    return p.statement(_fragment("call_body").format(call=call, source=source))


def call(function: str, args: tuple[tuple[str, str, str | None], ...], body: str | None = None) -> Statement:
    """A scalar function as PostgREST's mainCall. args: (name, type, value) in the function's order.
    GET /rpc/<fn>?<arg>=<v> (body None): each value a parameter cast to its type; POST with a JSON
    object `body`: the body one json parameter, the arguments read from it (pgrst_body)."""
    p = _Params()
    fn = _qi(SCHEMA, function)
    if body is None:
        pairs = sql.SQL(", ").join(sql.SQL("{} := {}::{}").format(sql.Identifier(n), p(v), sql.SQL(t))
                                   for n, t, v in args)
        call_sql = _fragment("select/call_direct").format(function=fn, args=pairs)
    else:
        call_sql = _fragment("select/call_body_args").format(
            body=p(body), function=fn,
            names=sql.SQL(", ").join(sql.Identifier(n) for n, _, _ in args),
            typed=sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(t)) for n, t, _ in args),
            args=sql.SQL(", ").join(sql.SQL("{} := pgrst_body.{}").format(sql.Identifier(n), sql.Identifier(n))
                                    for n, _, _ in args))
    source = _fragment("select/node").format(
        select=sql.SQL("{}.*").format(_qi(function)), source=sql.SQL("{} AS {}").format(_qi("pgrst_source"), _qi(function)),
        joins=sql.SQL(""), where=sql.SQL(""), order=sql.SQL(""), limit=p(str(MAX_ROWS)), offset=p("0"))
    return p.statement(_fragment("call_body").format(call=call_sql, source=source))


def read_single(node: Node) -> Statement:
    """A GET asking for one object (`.single()`): mainRead with asJsonSingleF."""
    p = _Params()
    return p.statement(_fragment("read_body_single").format(source=_node(p, node)))


@cache
def by_query() -> dict[str, Statement]:
    """The memo's query text (as strategies send it) -> the statement PostgREST sends for it."""
    out: dict[str, Statement] = {}
    for name in bundles.PARTS:
        b = bundles.load(name)
        for part, query in b.single.items():
            out.setdefault(query, single(name, part))
        out[b.join_json] = embed(name)
        out[b.rpc] = rpc(name)
    return out


def path(bundle: str) -> str:
    """The request path of the bundle's RPC."""
    return f"/rpc/{RPC[bundle]}"


def embed_answer(bundle: bundles.Bundle, cols: tuple[str, ...], rows: list) -> bundles.Answer:
    """The embed's one parsed object -> the bundle: the profile's own columns, each spoke's rows."""
    spokes = [p for p in bundle.parts if p != ROOT]
    if not rows:
        return {p: ((), []) for p in bundle.parts}
    row = dict(zip(cols, rows[0]))
    answer = {ROOT: (tuple(c for c in cols if c not in spokes), [tuple(v for c, v in row.items() if c not in spokes)])}
    for part in spokes:
        value = row[part]
        answer[part] = ((), value if isinstance(value, list) else ([] if value is None else [value]))
    return answer


def rpc_answer(bundle: bundles.Bundle, cols: tuple[str, ...], rows: list) -> bundles.Answer:
    """The function's JSON (through PostgREST: the body's object; direct: the one column) -> the bundle."""
    if not rows:
        return {p: ((), []) for p in bundle.parts}
    obj = dict(zip(cols, rows[0])) if set(bundle.parts) <= set(cols) else rows[0][0]
    if isinstance(obj, str):
        obj = json.loads(obj)
    return {p: ((), obj.get(p) or []) for p in bundle.parts}
