"""Repetitions enough to decide: a block (one bundle x envelope of a read-path stage) runs its
minimum of repetitions, then one more at a time until every comparison in it is decided, or until
the cap.

"Every comparison" is each strategy of the block against the block's one-request form (the sham's
twin), by the suite's one rule (`stats.paired`, equivalence calls): decided means faster, slower
or equivalent; undecided means the interval still straddles the margin. The sham is one of those
comparisons, so the false-call rate the run measures is the rate of this whole procedure,
stopping rule included (looking after every repetition makes a false call likelier than one
look would; the sham shows by how much).
"""
from __future__ import annotations

import pandas as pd

from bench.results import stats


def undecided(rows: list[dict]) -> list[str]:
    """The strategies of one block (its timed rows so far) whose call against the one-request
    form is still undecided; the sham is named `sham`. [] when the block has no sham twin."""
    t = pd.DataFrame([r for r in rows if r.get("record") in ("request", "sham")])
    if t.empty or not (t.record == "sham").any():
        return []
    twin = t[t.record == "sham"].strategy.iloc[0]
    label = t.strategy.where(t.record == "request", "sham")
    med = t.assign(label=label).groupby(["rep", "label"]).latency_us.median().unstack("label")
    if twin not in med:
        return []
    return [s for s in med.columns if s != twin
            and stats.paired(med[s].to_numpy(), med[twin].to_numpy()).call == stats.UNDECIDED]
