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
    "star_pipelined": ("star, pipelined", "#bcbd22"),
    "join_flat": ("flat JOIN", "#1f77b4"),
    "join_json": ("JOIN, PostgREST json_agg", "#17becf"),
    # schema variants
    "star": ("star schema", "#8c564b"),
    "relational": ("relational schema", "#2b6e4f"),
    "star_nofk": ("star, no foreign keys", "#7f7f7f"),
    # write approaches (integrity)
    "three_requests": ("three requests (the memo's flow)", "#9467bd"),
    "transaction": ("one transaction", "#4a3b8f"),
    "rpc": ("RPC (one SQL function)", "#c49c94"),
    "trigger": ("trigger", "#e377c2"),
    # outcomes
    "good": ("held / as intended", "#2ca02c"),
    "bad": ("failed / leaked", "#b2182b"),
    "tie": ("tie (inside the noise)", "#bbbbbb"),
    "muted": ("other", "#555555"),
    "background": ("background", "#f0f0f0"),
    # conditions
    "as-written": ("the memo's DDL (no user_id index)", "#6b3d0c"),
    "indexed": ("user_id indexed", "#3f8fc4"),
    "plain": ("direct connection, table owner", "#5a7d9a"),
    "rest": ("through PostgREST's envelope", "#d4a017"),
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
