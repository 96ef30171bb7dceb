"""The claim protocol's parts (CLAIMS.md): the one label vocabulary, a claim's spec, its
finding (label, condition, attribution, canonical figure), the run's evidence, and the generic
rule from a list of called cells to a label.

A claim module (bench/report/claims/<key>.py) declares SPEC and `evaluate(ev) -> Finding`; its
decision is a pure function of calls (`decide`), so a test can drive it into every label.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from bench.results import stats
from bench.results import store as results

# CLAIMS.md rule 4: advantages ...
RIGHT, RIGHT_WHEN, WRONG, UNDECIDED = "right", "right only when", "wrong", "undecided"
# ... and the costs the memo admits
REAL, REAL_WHEN, ABSENT = "the cost is real", "real only when", "the cost does not appear"
NOT_MEASURED = "not measured"  # the run lacks the claim's experiment: no rule was applied
ADVANTAGE_LABELS = (RIGHT, RIGHT_WHEN, WRONG, UNDECIDED)
COST_LABELS = (REAL, REAL_WHEN, ABSENT, UNDECIDED)
CONDITIONAL = (RIGHT_WHEN, REAL_WHEN)
FOR_MEMO = (RIGHT, REAL)  # the memo's statement stands as written
AGAINST_MEMO = (WRONG, ABSENT)

# attributions (CLAIMS.md rule 2)
STAR_SPECIFIC = "star-specific"
SHARED = "shared: not a property of the star"
NOT_APPLICABLE = "n/a (query shape)"


@dataclass(frozen=True)
class Spec:
    key: str
    quote: str  # the memo's words
    where: str  # the memo's section
    needs: tuple[str, ...]  # run tables the answer comes from
    comparison: str  # the comparison that decides (CLAIMS.md's table)
    surfaces: str  # where it is measured
    attribution_test: str  # how star-specific is told from shared
    rule: str  # "The memo is right if ..., wrong if ..." (one sentence)
    cost: bool = False  # a disadvantage the memo admits
    row: str = ""  # its row in the memo's Pattern Comparison table

    @property
    def labels(self) -> tuple[str, ...]:
        return COST_LABELS if self.cost else ADVANTAGE_LABELS


@dataclass
class Figure:
    """A claim's canonical headline number: a ratio a/b with its interval (or a count), and
    where it was measured."""

    what: str  # "star_sequential / rpc_bundle, median latency" or "users left inconsistent"
    value: float
    lo: float = float("nan")
    hi: float = float("nan")
    call: str = ""
    unit: str = "x"  # "x" (a ratio) or a count's unit
    surface: str = ""
    rtt_ms: float | None = None
    scale: str = ""
    client: str = ""
    users: str = ""  # light / median / heavy / all

    def words(self) -> str:
        if self.unit == "x":
            body = f"{self.value:.2f}x" + (f" [{self.lo:.2f}-{self.hi:.2f}]" if np.isfinite(self.lo) else "")
        else:
            body = f"{self.value:,.0f} {self.unit}"
        where = ", ".join(x for x in (self.surface, self.client if self.client and self.client not in self.surface
                                                        else "",
                                      f"RTT {self.rtt_ms:g} ms" if self.rtt_ms is not None else "",
                                      f"scale {self.scale}" if self.scale else "",
                                      f"{self.users} users" if self.users else "") if x)
        return f"{self.what}: {body}" + (f" {self.call}" if self.call else "") + (f" ({where})" if where else "")


@dataclass
class Finding:
    key: str
    quote: str
    where: str
    row: str
    cost: bool
    rule: str
    label: str
    condition: str = ""  # where a conditional label holds; for others, what would flip it
    attribution: str = ""
    figure: Figure | None = None
    answer: str = ""  # what was measured, with its numbers
    beside: str = ""  # reported beside the verdict, never its gate (means, p95, torn reads, can-happen counts)
    figures: list[str] = field(default_factory=list)  # evidence figure ids
    advice: str = ""
    other_servers: str = ""

    def record(self) -> dict:
        d = asdict(self)
        d["figure_text"] = self.figure.words() if self.figure else ""
        return d


def unmeasured(spec: Spec, missing: list[str]) -> Finding:
    return Finding(spec.key, spec.quote, spec.where, spec.row, spec.cost, spec.rule, NOT_MEASURED,
                   answer=f"Not measured by this run: it has no {', '.join(missing)} results.")


def finding(spec: Spec, label: str, **kw) -> Finding:
    assert label in spec.labels, (spec.key, label)
    return Finding(spec.key, spec.quote, spec.where, spec.row, spec.cost, spec.rule, label, **kw)


def decide(cells: list[tuple[str, str]], cost: bool = False) -> tuple[str, str]:
    """The generic rule from called cells to a label (CLAIMS.md rules 3-4). `cells`: (where, call)
    with the call made so that FASTER means the memo's side wins (for a cost: the cost shows).
    Every cell won: right (real); some: right (real) only when, naming where; none won and at
    least as many cells decided against (slower, or equivalent: a tie is no win) as undecided:
    wrong (does not appear), naming the undecided cells beside; else undecided.
    Returns (label, condition)."""
    yes, no_, maybe = (REAL, ABSENT, UNDECIDED) if cost else (RIGHT, WRONG, UNDECIDED)
    when = REAL_WHEN if cost else RIGHT_WHEN
    if not cells:
        return maybe, "no cell was measured"
    won = [w for w, c in cells if c == stats.FASTER]
    undecided = [w for w, c in cells if c == stats.UNDECIDED]
    if len(won) == len(cells):
        return yes, ""
    if won:
        return when, "; ".join(won)
    if len(cells) - len(undecided) >= len(undecided):
        return no_, ("undecided at " + "; ".join(undecided)) if undecided else ""
    return maybe, "undecided at " + "; ".join(undecided)


class Evidence:
    """A run, with its summary and tables read once."""

    def __init__(self, run: results.Run):
        self.run = run

    @cached_property
    def summary(self) -> pd.DataFrame:
        return results.summary(self.run.path)

    def table(self, name: str) -> pd.DataFrame:
        return self.run.table(name)

    def has(self, name: str) -> bool:
        return self.run.has(name)


def ms(v_ms: float) -> str:
    return "n/a" if not np.isfinite(v_ms) else (f"{v_ms:.2f} ms" if v_ms < 10 else f"{v_ms:.1f} ms")


def call_words(c) -> str:
    return f"{c.ratio:.2f}x [{c.lo:.2f}-{c.hi:.2f}] {c.call}"
