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
# # 03 · Concurrency, connection budget and snapshot consistency
#
# What happens when many users fetch at once. The memo's parallel fan-out (`Promise.all`) spends
# three connections and three transactions per request, and reads three tables under three
# snapshots. Here every request takes its connections from one shared pool with a fixed budget
# (10, PostgREST's default pool size): through the PostgREST path (the tier's pool beside the
# database, where the claim is decided), and on direct connections (the Python load generator's
# pool, and pgbench), under two kinds of load:
#
# - **closed loop**: N clients, each sending its next request as soon as the last returns;
# - **open loop**: Poisson arrivals at a target rate, latency measured from each request's
#   *intended* start, so a stall is charged to the requests queued behind it (no coordinated
#   omission). Rates are fractions of the best closed-loop throughput.
#
# Percentiles come from HdrHistograms merged across repetitions and worker processes. Hollow
# points mark client-bound cells: a Python sender process at >= 90% of a core, or the machine's
# cores busy with the client using more of them than PostgreSQL. Client and server share this
# machine's cores.

# %% tags=["parameters"]
run_dir = "../data/reference"
# needs: concurrency

# %%
from IPython.display import Markdown, display

from bench.report import cells, page, plots, pooler_cells
from bench.report.charts import pooler as pooler_charts
from bench.report.claims import quote
from bench.results import store as results
from bench.report.charts import concurrency as charts
from bench.report.claims.parallel_load import TIER_CLIENT

run = results.load(run_dir)
has = run.has("concurrency")
table = run.table("concurrency") if has else None
c = cells.load(table) if has else None
found = quote.findings(run, "parallel_load")  # this page's claim, as the findings record has it
SHORT = {"rtt_ms": "RTT ms", "throughput_rps": "bundles/s", "throughput_lo": "lo", "throughput_hi": "hi",
         "statements_per_s": "statements/s", "latency_p50_us": "p50 µs", "latency_p99_us": "p99 µs",
         "client_bound": "client-bound", "server_cpu_cores": "server cores", "client_cpu_cores": "client cores",
         "pooler_cpu_cores": "pooler cores"}  # table headers a reader can scan: the units in the note
plots.apply_style()
m = run.meta
display(Markdown(page.run_header(
    run, (f"Concurrency ran at scale **{table.scale.iloc[0]}**: {int(table.requests.fillna(0).sum()):,} timed requests "
     f"in {int((table.record == 'load').sum())} load cells x repetitions."
     if has and len(table) else "**This run has no concurrency table**: run `python -m bench run concurrency`."))))

# %% [markdown]
# <a id="concurrency-throughput-against-tail-latency-closed-loop"></a>
# ## Throughput against tail latency (closed loop)

# %%
if has:
    plots.publish("fig-concurrency-throughput-latency", charts.throughput_latency(c), run=run,
                  caption="Closed loop: throughput against p99 latency per strategy as clients grow, RTT 0 and 2 ms")

# %% [markdown]
# <a id="concurrency-through-the-postgrest-path"></a>
# ## Through the PostgREST path: Promise.all against one request
# The memo's "parallel processing" under load is decided here, where a Supabase app's requests
# go: through PostgREST, whose pool of 10 sits beside the database, with the round trip on the
# client's side of the link. Each virtual user runs the memo's `getUserData` (`Promise.all`, three
# requests in flight) or the one request a Supabase user can make on the star (the RPC), in a
# closed loop. supabase-js makes each user's requests once; node's own http client then sends
# exactly those requests, as many at once as the users have in flight: the library's own work per
# request (about half a millisecond of Node's one thread) would make the client, not the server,
# the bottleneck. The tier, a single-threaded Python process in PostgREST's place, shares the
# server's core with PostgreSQL. The call: saturation throughput per repetition, Promise.all over
# the RPC, with its 95 % interval, in cells where neither node nor the delay proxy was the
# bottleneck (hollow points: client-bound).

# %%
if has:
    display(Markdown(quote.markdown(found, "parallel_load")))
    if (c.client == TIER_CLIENT).any():
        plots.publish("fig-concurrency-tier-load", charts.throughput_latency(
            c, TIER_CLIENT, "supabase-js's requests replayed by node's http, through the PostgREST tier",
            "virtual users (closed loop)"), run=run,
            caption="Through the PostgREST path: throughput and p99 latency of Promise.all and the RPC as virtual "
                    "users grow, RTT 0 and 2 ms")
    else:
        display(Markdown("**No load through the PostgREST tier in this run** (it needs Node.js and `make setup`'s "
                         "npm packages; run.json's `tier_load` says why): the call below rests on the direct pool."))

# %% [markdown]
# <a id="concurrency-saturation-without-a-python-client-in"></a>
# ## Saturation without a Python client in the way
# The same cells driven by pgbench (C; one connection per client, at most the budget, so no
# pool queue) beside the Python load generator. A cell is client-bound where the client side (the
# senders and the delay proxy) used at least as much CPU as PostgreSQL on a busy machine, or a
# Python process reached a core (the GIL): there the client set the pace, and the under-load
# verdicts leave such cells out.
#
# Every load client's saturation throughput side by side: the PostgREST path above, and on
# direct connections the Python load generator (its pool of 10 on the client's side of the link)
# and pgbench. The first chart's sentence sets the direct pool's median peaks side by side the
# other way up (the one-request form over the star), so its number is the inverse of a ratio of
# medians, not the figure above.

# %%
if has:
    plots.publish("fig-concurrency-saturation-clients", charts.saturation_clients(c), run=run,
                  caption="Saturation throughput per strategy and RTT for each load client, repetition range as whiskers")
    sat = cells.saturation(c).rename(columns=SHORT)
    display(page.table(sat, "throughput in bundles/s [95 % interval lo-hi]; latency in µs; CPU in cores"))

# %% [markdown]
# <a id="concurrency-open-loop-the-crossover-and-what"></a>
# ## Open loop: the crossover, and what coordinated omission would hide

# %%
if has:
    plots.publish("fig-concurrency-openloop-p99", charts.open_loop(c), run=run,
                  caption="Open loop at RTT 0: p99 latency from the intended start and of service time, per offered load")

# %% [markdown]
# <a id="concurrency-the-connection-budget"></a>
# ## The connection budget
# The same closed-loop clients against pools of different sizes. star_parallel needs three
# connections per request; the others one.

# %%
if has:
    plots.publish("fig-concurrency-budget-throughput", charts.budget(c), run=run,
                  caption="Throughput and pool wait against the connection budget, fixed closed-loop clients")

# %% [markdown]
# <a id="concurrency-pgbouncer-in-the-path"></a>
# ## PgBouncer in the path
# Supabase reaches the database through a transaction pooler. Here Debian's PgBouncer (1.18,
# transaction mode, 15 server connections as Supabase's pooler) sits beside the database, and the
# delay proxy sits between the client and the pooler, so the client's round trip is to the
# pooler. PgBouncer 1.18 does not keep named prepared statements across transactions (1.21
# does): the check below records the error a client gets, and through the pooler every statement
# therefore goes unnamed (planned at every execution). Direct unnamed is measured too, so the
# pooler's own cost is told apart from the loss of prepared statements. Under load the
# comparison is at the connection counts each path really has: direct, the senders share
# PostgREST's pool of 10 (and 15, the pooler's server pool); through the pooler every sender has
# its own client connections, multiplexed onto 15 server connections.

# %%
# optional: pooler
pool = run.has("pooler")
pooler = run.table("pooler") if pool else None
if not pool:
    display(Markdown("**PgBouncer: not in this run** (`python -m bench run pooler`)."))
elif pooler_cells.skipped_reason(pooler):
    display(Markdown(f"**PgBouncer: skipped**: {pooler_cells.skipped_reason(pooler)}."))
else:
    display(page.table(pooler_cells.prepared_checks(pooler), "named prepared statements through PgBouncer 1.18, "
                       f"and the fall-back: {m.get('pooler', {}).get('prepared_statements', 'unnamed statements')}"))
    plots.publish("fig-pooler-reads", pooler_charts.reads(pooler_cells.read_ratios(pooler)), run=run,
                  caption="Read latency through PgBouncer over direct per strategy, RTT 0 and 2 ms, with the part "
                  "that is the loss of prepared statements")
    load_cells = pooler_cells.load_cells(pooler)
    plots.publish("fig-pooler-load", pooler_charts.load(load_cells), run=run,
                  caption="Closed-loop throughput and p99 latency under load, direct against PgBouncer")
    shown = ["strategy", "clients", "path", "prepared", "budget", "throughput_rps", "throughput_lo", "throughput_hi",
             "latency_p50_us", "latency_p99_us", "client_bound", "server_cpu_cores", "pooler_cpu_cores", "errors"]
    display(page.table(load_cells[[k for k in shown if k in load_cells]].rename(columns=SHORT),
                       "throughput in bundles/s [95 % interval lo-hi]; latency in µs; CPU in cores; every column in "
                       "the run's pooler.parquet"))

# %% [markdown]
# <a id="concurrency-torn-reads-three-snapshots-per-bundle"></a>
# ## Torn reads: three snapshots per bundle
# A writer changes two spokes of a few dedicated users in one transaction: in `account` it
# replaces a granted role and writes the matching audit entry; in `chat` it creates a session and
# points `user_state.current_session_id` at it. Every read checks the cross-table invariant.
# The writer's statements:

# %%
page.sql("queries/consistency/write_account.sql")
page.sql("queries/consistency/write_chat.sql")

# %%
if has:
    cons = cells.consistency(table)
    plots.publish("fig-concurrency-torn-reads", charts.torn_reads(cons, "account"), run=run,
                  caption="Torn reads per 10,000 'account' bundles against the write rate, per read path and "
                  "isolation, beside each path's median latency")

# %%
if has and "chat" in set(cons.bundle):
    plots.publish("fig-concurrency-torn-reads-chat", charts.torn_reads(cons, "chat"), run=run,
                  caption="Torn reads per 10,000 'chat' bundles against the write rate, per read path and "
                  "isolation, beside each path's median latency")

# %%
if has:
    display(page.table(cons))

# %% [markdown]
# <a id="concurrency-the-lock-manager"></a>
# ## The lock manager
# Up to PostgreSQL 17 a backend had 16 fast-path lock slots; a statement touching more tables and
# indexes than that takes the rest through the shared lock table (LockManager LWLocks), which
# contends under concurrency. PostgreSQL 18 sizes the slots from `max_locks_per_transaction`
# (64 by default). The wide join below reads `auth.users` and every spoke with the chat domain.

# %%
if run.has("locks") or (has and (table.record == "locks").any()):
    fig, sentence = charts.locks(cells.lock_rows(run))
    plots.publish("fig-concurrency-locks-throughput", (fig, sentence + f" Measured on PostgreSQL "
                  f"{m['versions']['postgresql']}; the same cells on a PostgreSQL 15 server, where the locks past 16 "
                  "are not fast-path, are in the servers chapter (fig-servers-locks) when the run has one."), run=run,
                  caption="Throughput of a narrow and a wide join as clients grow, with the relation locks each holds")
else:
    display(Markdown("_The lock cells are not in this run (its experiments did not include `locks`)._"))
page.sql("queries/concurrency/wide_join.sql")
