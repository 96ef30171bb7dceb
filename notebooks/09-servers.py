# ---
# jupyter:
#   jupytext:
#     formats: py:percent,ipynb
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 09 · Servers: PostgreSQL 15 beside 18
#
# Supabase projects run PostgreSQL 15 or 17; every other chapter measures the run's own server
# (the embedded PostgreSQL 18). Here the headline cells ran again, with the same code, matrix,
# seed and scale, on a second server the suite treats as any external server given by DSN:
# Debian's PostgreSQL 15 started as its own cluster on loopback (`make pg15`). Where a finding
# depends on the version, this page shows it, and the verdicts say on which server it holds.
# The runs are separate folders (`run --servers embedded,pg15` puts the second in
# `servers/<run-id>/` beside the first); `python -m bench compare A B` lists every cell side by side.
#
# Both servers run with the same one non-default setting that reaches a measurement,
# `pg_stat_statements` preloaded with `track = all` (each run.json lists its server's settings);
# the rest are each version's defaults, and the builds differ (the wheel's, Debian's). Read a
# cross-server ratio with two cautions: the runs were measured one after the other, not
# interleaved, on a shared machine, so drift between them lands in the ratio; and a ratio whose
# per-repetition whiskers overlap is not a difference. Within each server, the strategies were
# measured side by side, so the order of strategies is the firmer finding.

# %% tags=["parameters"]
run_dir = "../data/reference"
# needs: read_paths

# %%
from IPython.display import Markdown, display

from bench.report import claims, page, plots, server_cells
from bench.report.charts import servers as charts
from bench.results import store as results

run = results.load(run_dir)
others = results.server_runs(run.path)
runs = [run, *others]
plots.apply_style()
display(Markdown(page.run_header(run, "Servers: " + "; ".join(
    f"**{results.server_label(r)}** ({r.meta.get('topology', '?')}, run `{r.id}`, experiments "
    f"{', '.join(r.meta.get('tables', {}))}, scale {r.meta.get('scale')})" for r in runs) + ".")))
if not others:
    display(Markdown("**No second server in this run.** `make run SERVERS=embedded,pg15` (or `make reference`) "
                     "makes one; this page then sets the two side by side."))

# %% [markdown]
# <a id="servers-read-paths-on-both-servers"></a>
# ## Read paths on both servers
# The 'account' bundle, direct connection as the table owner, indexed, warm, RTT 0, the Python
# harness, at the largest scale both runs measured. Left: what the client waits for; right:
# PostgreSQL's own execution time per request, where the JSON aggregation of `join_json` and the
# planner's work show without the client in the way.

# %%
# optional: servers
reads = server_cells.reads(runs)
if not reads.empty:
    plots.publish("fig-servers-reads", charts.reads(reads), run=run,
                  caption="Read strategies' latency and server time per request on each server, RTT 0")
    display(page.table(server_cells.ratio_table(reads), "each strategy's median over join_json's, per server and RTT"))
else:
    display(Markdown("_Not in this run: no read-path cells on a second server._"))

# %% [markdown]
# <a id="servers-rls-policy-forms-on-both-servers"></a>
# ## RLS policy forms on both servers
# The policy sweep of chapter 05 (one user's audit rows, the policy as the only filter), each
# cell by real execution under its role's statement_timeout.

# %%
# optional: servers
pol = server_cells.policy(runs)
if not pol.empty:
    plots.publish("fig-servers-rls", charts.policy(pol), run=run,
                  caption="Server time of each RLS policy form on each server, with and without the user_id index")
else:
    display(Markdown("_Not in this run: no RLS policy cells on a second server._"))

# %% [markdown]
# <a id="servers-the-lock-manager-on-both-servers"></a>
# ## The lock manager on both servers
# Up to PostgreSQL 17 a backend has 16 fast-path slots for relation locks; PostgreSQL 18 sizes
# them from `max_locks_per_transaction`. The wide join reads `auth.users` and every spoke.

# %%
# optional: servers
lk = server_cells.locks(runs)
if not lk.empty:
    plots.publish("fig-servers-locks", charts.locks(lk), run=run,
                  caption="Relation locks a narrow and a wide join hold, and how many each server took fast-path")
    display(page.table(lk[["server", "strategy", "clients", "throughput_rps", "latency_p50_us", "latency_p99_us",
                           "lock_manager_wait_share"]],
                       "throughput and latency of the two joins under closed-loop load, per server"))
else:
    display(Markdown("_Not in this run: no lock cells on a second server._"))

# %% [markdown]
# <a id="servers-the-verdicts-on-each-server"></a>
# ## The verdicts on each server
# Every claim the second server's run covers, answered from each run alone. Where the two
# disagree, the verdicts page labels the claim "right only when" (or "real only when") the server
# is the one where the memo stands.

# %%
if others:
    v = claims.table(run)
    shown = v[v.other_servers != ""][["quote", "label", "other_servers"]].rename(columns={
        "quote": "the memo says", "label": f"verdict on {results.server_label(run)} (the whole run)",
        "other_servers": "verdict on the other server"})
    display(page.table(shown, "claims answered on both servers (a disagreement makes the claim 'right only when')"))
