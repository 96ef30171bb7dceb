"""The one palette of the report: every thing a chart colours, its label and its colour.

One meaning per colour across every page: no two keys share a colour, and chart modules take
their colours from here only (tests/report/test_palette.py holds both rules). Families share a
hue range so a reader can tell them apart at a glance: the memo's star strategies are warm,
the joined statements blue, schema variants grey-green, the write approaches purple-brown,
outcomes are a traffic light (good, bad, tie), scales a sequence of one hue.
"""
from __future__ import annotations

ENTRIES: dict[str, tuple[str, str]] = {  # key -> (label, colour)
    # read strategies (the memo's star: warm; joins: blue)
    "star_sequential": ("star, sequential", "#d62728"),
    "star_parallel": ("star, parallel (Promise.all)", "#ff7f0e"),
    "star_parallel_threads": ("star, parallel (thread pool)", "#f7b267"),
    "star_pipelined": ("star, pipelined (direct connection only)", "#bcbd22"),
    "join_flat": ("flat JOIN", "#1f77b4"),
    "join_json": ("JOIN, PostgREST json_agg", "#17becf"),
    "rpc_bundle": ("RPC, one SQL function (/rpc)", "#6a3d9a"),
    # schema variants
    "star": ("star schema", "#8c564b"),
    "relational": ("relational schema", "#2b6e4f"),
    "star_nofk": ("star, no foreign keys", "#7f7f7f"),
    # write approaches (integrity)
    "three_requests": ("three requests (the memo's flow)", "#9467bd"),
    "transaction": ("one transaction", "#4a3b8f"),
    "rpc": ("RPC (one SQL function)", "#c49c94"),
    "trigger": ("trigger", "#e377c2"),
    # cross-service approaches and ORM loaders
    "join_star": ("SQL join, star", "#0b5394"),
    "join_relational": ("SQL join, relational", "#6fa8dc"),
    "services_parallel": ("services at once, pandas merge", "#e69138"),
    "services_chained": ("services chained by ids, pandas merge", "#990000"),
    "orm_lazy": ("ORM lazy (N+1)", "#a61c00"),
    "orm_selectin": ("ORM selectinload", "#38761d"),
    "orm_joined": ("ORM joinedload", "#134f5c"),
    "orm_subquery": ("ORM subqueryload", "#674ea7"),
    "raw_loop_json": ("raw, join_json per user", "#f1c232"),
    "raw_page_json": ("raw, one join_json for the page", "#45818e"),
    # write-side conditions (integrity)
    "fk": ("with the foreign key", "#1c4587"),
    "no_fk": ("without the foreign key", "#a4c2f4"),
    "load": ("load", "#7f6000"),
    "add_fk": ("add the foreign key", "#bf9000"),
    "validate": ("validate", "#ffd966"),
    "handle_new_user": ("trigger (1 INSERT)", "#c27ba0"),
    "application": ("application (3 INSERTs, 1 transaction)", "#4c1130"),
    "update_last_sign_in": ("while last_sign_in_at is updated", "#93c47d"),
    "delete_user": ("while the user is deleted", "#cc0000"),
    "soft_reference": ("soft reference (the memo)", "#e06666"),
    "fk_set_null": ("FK ON DELETE SET NULL", "#76a5af"),
    "fk_set_null_indexed": ("FK + index", "#0c343d"),
    "distinct_users": ("writers, one user each", "#b6d7a8"),
    "same_user": ("writers, the same user", "#741b47"),
    # figure parts
    "narrow_join": ("narrow join", "#3d85c6"),
    "wide_join": ("wide join (every spoke)", "#351c75"),
    "wire": ("wire only", "#1f4e79"),
    "end_to_end": ("end to end", "#9fc5e8"),
    "server_time": ("server execution", "#4c72b0"),
    "client_time": ("client decode + assembly", "#dd8452"),
    "network_time": ("network, waiting, driver", "#c9c9c9"),
    "indexed_filtered": ("index, explicit filter", "#274e13"),
    "indexed_policy": ("index, policy only", "#98df8a"),
    "unindexed_filtered": ("no index, explicit filter", "#d62770"),
    "unindexed_policy": ("no index, policy only", "#ff9896"),
    "to_public": ("policy TO public", "#b45f06"),
    "to_authenticated": ("policy TO authenticated", "#6aa84f"),
    "rls_bypassed": ("service_role (RLS bypassed)", "#8e8e8e"),
    "memo_policy": ("the memo's policies", "#e06c00"),
    "select_uid_policy": ("(select auth.uid()) policies", "#00a36c"),
    "safe_policy": ("the safe policy set", "#2b78e4"),
    # outcomes
    "good": ("held / as intended", "#2ca02c"),
    "bad": ("failed / leaked", "#b2182b"),
    "partial": ("failed in some of its checks", "#f4a582"),
    "tie": ("equivalent or undecided (inside the margin or the noise)", "#bbbbbb"),
    "right": ("the memo is right", "#c7e9c0"),
    "only": ("right only under a condition", "#fdd49e"),
    "wrong": ("the memo is wrong", "#fcbba1"),
    "unmeasured": ("not measured", "#eeeeee"),
    "impossible": ("impossible (a key prevents it)", "#a1d99b"),
    "possible": ("possible, found by the census", "#fc9272"),
    "reference": ("reference line", "#444444"),
    "whisker": ("interval whisker", "#333333"),
    "hatch": ("hatching on a bar", "#ffffff"),
    "guide": ("guide line", "#cccccc"),
    "muted": ("other", "#555555"),
    "background": ("background", "#f0f0f0"),
    "hub": ("auth.users, the hub", "#ffe9a8"),
    "table": ("a table", "#e8eef7"),
    # conditions
    "as-written": ("the memo's DDL (no user_id index)", "#6b3d0c"),
    "indexed": ("user_id indexed", "#3f8fc4"),
    "plain": ("direct connection, table owner", "#5a7d9a"),
    "rest": ("PostgREST's statements sent from beside the database, as authenticated", "#d4a017"),
    "tier": ("through PostgREST: HTTP to a tier beside the database (pool 10), as authenticated", "#b15928"),
    "rest_envelope": ("the old envelope emulation (pipelined)", "#8c6d1f"),
    # how a request reached the database: direct or through PgBouncer (the pooler section)
    "path:direct": ("direct, pool 10, named prepared", "#1b9e77"),
    "path:direct_pool15": ("direct, pool 15, named prepared", "#66c2a5"),
    "path:direct_unnamed": ("direct, unnamed statements", "#7570b3"),
    "path:pgbouncer": ("PgBouncer 1.18, transaction mode, 15 server conns", "#d95f02"),
    # servers: the run's own server, and the same cells on another server (servers chapter)
    "server:run": ("the run's server", "#2c7fb8"),
    "server:other": ("the other server", "#f0a30a"),
    # evolution: the application's request kinds under a schema change, and the change's conditions
    "signup": ("signup (auth.users insert + trigger)", "#7b2d26"),
    "sign_in": ("sign-in (auth.users update)", "#e6550d"),
    "profile_update": ("profile edit", "#74c476"),
    "spoke_write": ("spoke write (audit insert)", "#006d2c"),
    "read": ("read ('account' bundle)", "#80b1d3"),
    "no_long_txn": ("no long transaction", "#c7c7c7"),
    "long_txn": ("a long transaction holds the table", "#67000d"),
    "long_txn_lock_timeout": ("the same, lock_timeout 100 ms + retry", "#fd8d3c"),
    # isolation of a multi-table read (torn reads)
    "isolation:read committed": ("read committed, a snapshot per query", "#e6ab02"),
    "isolation:repeatable read": ("repeatable read, one snapshot", "#377eb8"),
    "isolation:exported snapshot": ("one exported snapshot", "#4daf4a"),
    "isolation:one statement": ("one statement", "#984ea3"),
    # clients: who sent the statements
    "client:psycopg": ("psycopg (the suite's Python harness)", "#5b8e7d"),
    "client:pgbench": ("pgbench (C, libpq)", "#2f3e46"),
    "client:node-postgres": ("node-postgres (the memo's JavaScript)", "#a98467"),
    "client:supabase-js": ("supabase-js (the memo's own code, through the tier)", "#3ecf8e"),
    "client:node-http": ("supabase-js's requests, replayed by node's http (through the tier)", "#1f7a54"),
    # caching: where the bundle's pages are
    "warm": ("warm (shared buffers)", "#fee391"),
    "shared_cold": ("shared buffers evicted, OS cache warm", "#41b6c4"),
    "cold": ("cold (evicted from shared buffers and OS cache)", "#253494"),
    "small_buffers": ("warm, shared_buffers 16 MB (tagged)", "#a6bddb"),
    # scales, one hue
    "xs": ("scale xs", "#c6dbef"),
    "s": ("scale s", "#9ecae1"),
    "m": ("scale m", "#4292c6"),
    "l": ("scale l", "#08519c"),
    "xl": ("scale xl", "#08306b"),
}
NEUTRAL = ENTRIES["muted"][1]


def label(key: str) -> str:
    return ENTRIES.get(key, (key, NEUTRAL))[0]


def colour(key: str) -> str:
    return ENTRIES.get(key, (key, NEUTRAL))[1]
