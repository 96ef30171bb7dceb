"""Deprecated: the claims moved to bench/report/claims/ (one module per claim, CLAIMS.md). This
shim keeps 09-servers and the two-server test working until they read the findings record;
delete it then."""
from __future__ import annotations

import pandas as pd

from bench.report import claims


def evaluate(run, others=None) -> pd.DataFrame:
    """One row per claim: claim, quote, verdict (the label), condition, other_servers."""
    fs = [f.record() for f in claims.evaluate(run, others)]
    return pd.DataFrame([{"claim": f["key"], "quote": f["quote"], "where": f["where"], "verdict": f["label"],
                          "condition": f["condition"], "other_servers": f["other_servers"]} for f in fs])
