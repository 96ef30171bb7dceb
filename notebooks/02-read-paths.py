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
# # 02 · Read paths: single-table fetches against joins
#
# The memo says its single-table queries are "lightning fast" with "no JOINs needed", that the
# joined query is "slower", and that fetching the tables in parallel (`Promise.all`) is the fast
# path. Here one user's data is fetched by five strategies and one RPC, as the round trip to the
# database grows, on the same seeded data, after checking that every strategy returns the
# identical bundle. Single client, warm cache, five to ten repetitions per block (more while a
# comparison is undecided; 06-method) in which every strategy takes the same users in the same
# order (error bars: range of the per-repetition medians). The headline surface is PostgREST's
# path: the memo's own code, supabase-js, over the delayed link to a tier that plays PostgREST
# beside the database (at RTT 0 and 2 ms); the suite's Python harness sends the same requests at
# every RTT as a cross-check (06-method says how far the two agree). The same statements are
# also sent on a direct connection by the harness (psycopg), pgbench (C) and node-postgres; the
# charts below are the harness's unless they say otherwise.
#
# | strategy | what it does |
# |---|---|
# | `star_sequential` | the memo's three single-table queries, one after another |
# | `star_parallel` | the same three at once on three pooled connections, sent and awaited by one thread (the memo's `Promise.all`) |
# | `star_pipelined` | the same three in one round trip on one connection (pipeline mode) |
# | `join_flat` | one LEFT JOIN over profile, roles and audit; rows multiply, folded back on the client |
# | `join_json` | one statement in PostgREST's embedding shape (`LEFT JOIN LATERAL (... json_agg ...)`) |
# | `rpc_bundle` | one call of a SQL function returning the user's bundle (`.rpc()`: the one request PostgREST allows on the star, whose spokes it cannot embed in each other, PGRST200) |

# %% tags=["parameters"]
run_dir = "../data/reference"
# needs: read_paths

# %%
from IPython.display import Markdown, display

from bench.report import calls, cells, page, plots
from bench.report.claims import quote, relational
from bench.results import store as results
from bench.report.charts import clients as client_charts
from bench.report.charts import read_paths as charts

run = results.load(run_dir)
table = run.table("read_paths")
s = cells.read_paths(results.summary(run.path), table)
found = quote.findings(run, "no_joins", "parallel", "no_complex_joins")  # this page's claims, as the record has them
plots.apply_style(surface="direct connection, table owner")
display(Markdown(page.run_header(
    run, f"{int((table.record == 'request').sum()):,} timed requests.")))

# %% [markdown]
# <a id="read-paths-same-answer-first"></a>
# ## Same answer first
# Before any timing, every strategy returned the identical canonical bundle for every sampled
# user (users across the deciles of audit rows, plus the heaviest users and users with no audit
# rows or no chat sessions). The checksums:

# %%
star = ~table["variant"].eq("relational") if "variant" in table else True  # the relational cells' check: below
eq = table[(table.record == "equivalence") & table.checksum.notna() & star][["scale", "bundle", "checksum"]]
page.table(eq.assign(checksum=eq.checksum.str[:16]), "checksum: the first 16 hex digits of the sha256 over every sampled user's canonical bundle")

# %% [markdown]
# <a id="read-paths-latency-against-the-round-trip-the"></a>
# ## Latency against the round trip (the headline)
# The memo's flow as a Supabase app runs it: supabase-js requests over the delayed link to the
# tier that plays PostgREST's part (its pool of 10 beside the database, no delay between it and
# PostgreSQL), as `authenticated` with the memo's RLS policies, PostgREST's own statements, each
# JSON body parsed by the client. Three parallel fetches are three requests in flight; the embed
# is one. `star_pipelined` has no PostgREST counterpart and is not on this chart.
#
# Two of the memo's claims are decided on this chart. Against the best one-request form this
# surface allows on the star: the RPC (one SQL function, `GET /rpc`), since PostgREST refuses to
# embed spokes that reference only `auth.users` (PGRST200). The sentences under the direct
# connection's charts below compare against the PostgREST-shaped JOIN instead, another ratio.

# %%
# optional: tier
display(Markdown(quote.markdown(found, "no_joins")))
display(Markdown(quote.markdown(found, "parallel")))
if (table.get("envelope") == "tier").any():
    plots.publish("fig-readpaths-latency-rtt-postgrest", charts.latency_vs_rtt(s, "account", table=table,
                                                                              envelope="tier"), run=run,
                  surface="through the PostgREST tier, as authenticated",
                  caption="Median latency of the 'account' bundle through PostgREST's path against the measured round trip")
    display(page.table(cells.tier_overhead(table), "per request through the tier: its own handling time less its "
                       "statements' time on PostgreSQL (µs, medians over every request of the cell), RTT 0"))
else:
    display(Markdown("_This run has no requests through the PostgREST tier (runs before issue 15)._"))

# %% [markdown]
# The embed on the relational variant. PostgREST refuses to embed the star's spokes (PGRST200:
# each references `auth.users`, not `profiles`), so on the star the one request is the RPC. On
# the relational variant the spokes reference `profiles`, and PostgREST accepts the embed
# `.from('profiles').select('*,user_roles(*),auth_audit_log(*)')`. There supabase-js runs
# `Promise.all`, the three queries in turn and the embed through a second tier on that dataset
# (the same seed, so the same sampled users, in the same blocks; every answer checked against the
# star's checksum first), at the headline RTTs. Each form is set against the embed per RTT, for
# all users and for light, median and heavy users apart (terciles of the sampled users' audit
# rows, as the star's calls size them), with 95 % paired intervals and calls beyond the 10 %
# margin. This is reported beside the parallel claim: its label is decided on the star.

# %%
rel = relational.cells(table)
display(Markdown(relational.sentence(table)))
if len(rel):
    display(page.table(rel, "supabase-js through the PostgREST tier on the relational variant, 'account': "
                       "medians (ms) and each form over the embed [95 % paired interval], call, per RTT and user size"))

# %% [markdown]
# The same sweep on a direct connection as the table owner, without PostgREST's statements or
# RLS: what the schema itself costs per strategy.

# %%
plots.publish("fig-readpaths-latency-rtt", charts.latency_vs_rtt(s, "account", table=table), run=run,
              caption="Median latency of the 'account' bundle per strategy against the measured round trip, direct connection")

# %%
plots.publish("fig-readpaths-latency-rtt-chat", charts.latency_vs_rtt(s, "chat", table=table), run=run,
              caption="Median latency of the 'chat' bundle per strategy against the measured round trip")

# %% [markdown]
# <a id="read-paths-latency-against-the-user-s-fan"></a>
# ## Latency against the user's fan-out
# The flat JOIN returns roles x audit rows; the PostgREST shape returns one row.

# %%
plots.publish("fig-readpaths-latency-fanout", charts.latency_vs_fanout(table, "account"), run=run,
              caption="Latency of the 'account' bundle against the user's audit rows, RTT 0")

# %% [markdown]
# <a id="read-paths-bytes-on-the-wire"></a>
# ## Bytes on the wire
# The memo's "no complex JOINs" counts as a performance benefit if the joined statement makes
# the server or the wire do more than the three single-table statements: server time per bundle
# (pg_stat_statements, direct connection, RTT 0) decides, the bytes each strategy receives are
# on this chart, and the fan-out chart above shows where the flat JOIN's rows multiply.

# %%
display(Markdown(quote.markdown(found, "no_complex_joins")))
plots.publish("fig-readpaths-bytes-strategy", charts.bytes_per_strategy(table), run=run,
              caption="DataRow bytes received per bundle and strategy, median sampled user")

# %% [markdown]
# <a id="read-paths-where-the-time-goes"></a>
# ## Where the time goes

# %%
plots.publish("fig-readpaths-decomposition-time", charts.decomposition(s, table, "account", 2.0), run=run,
              caption="Server, client and network share of one 'account' bundle at RTT 2 ms")

# %% [markdown]
# <a id="read-paths-what-postgrest-s-per-request-statements"></a>
# ## What PostgREST's per-request statements cost
# Each request as PostgREST sends it, read from its sources (`bench/measure/postgrest.py`):
# `BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY`; one `select set_config(...)` of search_path,
# the role's statement_timeout, role, Supabase Auth's JWT claims of the seeded user, method, path,
# headers and cookies; the query wrapped as `WITH pgrst_source AS (...)` returning one JSON body the
# client parses; `COMMIT`; each statement prepared and awaited in turn, as `authenticated` with RLS on.
# PostgREST sits beside the database, so this path is timed at RTT 0 only; the suite's older
# emulation (four statements pipelined, minimal claims) is kept as "the old envelope emulation".
# `star_pipelined` has no PostgREST counterpart: it is a direct connection's strategy.

# %%
plots.publish("fig-readpaths-envelope-cost", charts.condition_cost(s, "envelope", "plain", "rest"), run=run,
              surface="direct connection against PostgREST's statements as authenticated",
              caption="Median latency at RTT 0 directly and through PostgREST's statements and RLS")

# %% [markdown]
# What the faithful path changes against the old emulation, request by request: the median of
# each user's median latency over the sampled users, and the heaviest sampled user alone (the
# most audit rows: where the embed's `json_agg(...)::jsonb` and the 1000-row cap tell).

# %%
paths = cells.path_costs(table)
display(page.table(paths, "ms per request, indexed, warm; PostgREST's statements sent by the client run at RTT 0 "
                   "only (–); tier / old: the PostgREST tier over the old envelope") if len(paths)
        else Markdown("_This run has no old-envelope and tier cells to set side by side._"))

# %% [markdown]
# <a id="read-paths-the-memo-s-ddl-as-written"></a>
# ## The memo's DDL as written: no index on `user_id`

# %%
plots.publish("fig-readpaths-index-cost", charts.condition_cost(s, "indexes", "indexed", "as-written"), run=run,
              caption="Median latency at RTT 0 with an index on user_id and as the memo wrote it")

# %% [markdown]
# <a id="read-paths-harness-fidelity"></a>
# ## Harness fidelity
# The same statements timed by `pgbench -M prepared` and by the harness, back to back, each
# alone for a few seconds on random sampled users (one client, TCP, RTT 0). `ratio` is the
# harness's end-to-end mean over pgbench's; `wire_ratio` leaves out the client's decode and
# assembly (`client_decode_us`), which pgbench does not do: that part is the Python client's
# real cost, reported rather than hidden.

# %%
page.table(charts.fidelity(table))

# %% [markdown]
# <a id="read-paths-the-same-questions-three-clients"></a>
# ## The same questions, three clients
# Each client (psycopg, pgbench, node-postgres) runs the same statements for the same users in
# the same order, after its answers were checked against the canonical bundle. A difference the
# schema makes shows with every client; one that changes with the client measured the client.

# %%
plots.publish("fig-readpaths-clients", client_charts.headline(calls.with_tier(table)), run=run,
              surface="direct connection (three clients) and the PostgREST tier",
              caption="star_sequential and star_parallel over the faster one-request form, per client (and through the "
              "PostgREST tier) and RTT, "
              "with 95 % paired intervals")

# %% [markdown]
# The SQL behind the headline (the memo's literal queries and the PostgREST shape):

# %%
for name in ("profiles", "user_roles", "auth_audit_log", "join_json"):
    page.sql(f"queries/account/{name}.sql", f"SQL: {name}")
