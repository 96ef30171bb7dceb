"""The pooler charts and cells on synthetic frames: titles state the finding, empty runs skip."""
from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from bench.report import pooler_cells
from bench.report.charts import pooler as charts
from bench.results import stats

STRATEGIES = ("star_sequential", "star_parallel", "join_json")


def _requests() -> pd.DataFrame:
    rows = []
    cost = {("direct", "named"): 1.0, ("direct", "unnamed"): 1.2, ("pgbouncer", "unnamed"): 1.5}
    for rtt in (0.0, 2.0):
        for rep in range(5):
            for s in STRATEGIES:
                for (path, prepared), f in cost.items():
                    for i in range(4):
                        rows.append({"record": "request", "rtt_ms": rtt, "rep": rep, "strategy": s, "path": path,
                                     "prepared": prepared, "latency_us": (1000 + 100 * rep + i) * f * (1 + rtt)})
    return pd.DataFrame(rows)


def _load() -> pd.DataFrame:
    rows = []
    for s in ("star_parallel", "join_json"):
        for path, prepared, budget, rps in (("direct", "named", 10, 1000.0), ("pgbouncer", "unnamed", 48, 500.0)):
            for rep in range(3):
                h = stats.histogram([2000, 3000, 9000])
                rows.append({"record": "load", "client": "psycopg", "strategy": s, "clients": 16, "path": path,
                             "prepared": prepared, "budget": budget, "server_connections": 15 if path != "direct" else 10,
                             "throughput_rps": rps + rep, "client_bound": False, "client_side_cores": 0.5,
                             "server_cpu_cores": 1.0, "pooler_cpu_cores": 0.2, "requests": 100, "errors": 0,
                             **stats.hist_columns("latency", h, 4000.0)})
    return pd.DataFrame(rows)


def test_read_ratios_separate_the_pooler_from_unnamed_statements():
    r = pooler_cells.read_ratios(_requests())
    got = r.set_index(["rtt_ms", "strategy", "comparison"]).ratio
    assert abs(got[(0.0, "join_json", "pooler_vs_direct")] - 1.5) < 0.01
    assert abs(got[(0.0, "join_json", "unnamed_vs_named")] - 1.2) < 0.01
    assert abs(got[(2.0, "star_parallel", "pooler_own")] - 1.25) < 0.01
    fig, sentence = charts.reads(r)
    assert "1.50x" in fig._suptitle.get_text() and "RTT 2 ms" in sentence
    plt.close(fig)


def test_load_chart_states_the_throughput_ratio():
    c = pooler_cells.load_cells(_load())
    fig, sentence = charts.load(c)
    assert "star_parallel 0.50x the throughput" in fig._suptitle.get_text()
    assert "psycopg join_json 0.50x throughput" in sentence
    plt.close(fig)


def test_empty_runs_say_so():
    assert charts.reads(pd.DataFrame())[0] is None
    assert charts.load(pd.DataFrame({"client": []}))[0] is None
    assert pooler_cells.skipped_reason(pd.DataFrame([{"record": "skipped", "reason": "no pgbouncer"}])) == "no pgbouncer"
