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
# # 06 · Method: how far these numbers can be trusted
#
# Every figure in this report comes from one results folder (named on each figure's footer),
# made by `python -m bench run` on one machine against a real PostgreSQL. This page checks the
# instruments: the harness against PostgreSQL's own `pgbench`, the delay proxy against the delay
# it was asked to add, and the noise between repetitions; then it lists the machine, the
# versions and what this setup cannot tell you.

# %% tags=["parameters"]
run_dir = "../data/reference"

# %%
from IPython.display import Markdown, display

from bench.report import calls, page, plots
from bench.report.method_notes import EMBED_NOTE
from bench.results import store as results
from bench.report.charts import clients as client_charts
from bench.report.charts import method as charts

run = results.load(run_dir)
plots.apply_style()
paths = run.table("read_paths") if run.has("read_paths") else None
display(Markdown(page.run_header(run, f"Experiments: {', '.join(run.meta.get('tables', {}))}.")))

# %% [markdown]
# ## The machine and the versions

# %%
page.table(charts.environment(run.meta))

# %% [markdown]
# ## Harness fidelity against pgbench
# The read-path statements timed by `pgbench -M prepared` and by the suite's harness, back to
# back, one client over TCP, RTT 0, for a light, a middle and a heavy user. "Wire only" leaves
# out the time the Python client spends decoding rows into values, which pgbench never does;
# that time is the client's real cost and is reported, not hidden.

# %%
if paths is not None and (paths.record == "pgbench").any():
    plots.publish("fig-method-fidelity-pgbench", charts.fidelity(paths), run=run,
                  caption="Harness mean over pgbench's for the same statements, wire only and end to end")
else:
    display(Markdown("This run has no pgbench fidelity rows (the read-paths experiment was not run)."))

# %% [markdown]
# ## Three clients, paired
# In the read-path matrix every client (psycopg, node-postgres, pgbench) sent the same
# statements for the same users in the same order, repetition by repetition; each bar is a
# client's per-request latency over pgbench's, the whisker its 95 % paired bootstrap interval.

# %%
if paths is not None:
    plots.publish("fig-method-clients-over-pgbench", client_charts.against_pgbench(calls.requests(paths)), run=run,
                  caption="Per-request latency of psycopg and node-postgres over pgbench's, same statements, "
                  "users and order, per strategy and RTT")

# %% [markdown]
# ## A/A: the same code and data, run twice
# Two runs of the read-path matrix with nothing changed between them, set side by side by
# `python -m bench compare` (a cell is called changed only where the two runs' per-repetition
# medians do not overlap and the ratio is beyond the margin). Whatever it calls here is noise,
# which says how large a difference between two runs must be before it means anything.

# %%
aa_dir = results.aa_run(run.path)
if aa_dir is not None:
    from bench.results import compare

    plots.publish("fig-method-aa", charts.aa(compare.compare(run.path, aa_dir), 0.10), run=run,
                  caption="A/A: per-cell ratio of medians between two runs of the same code and data, and the share "
                  "called changed per margin")
else:
    display(Markdown("No A/A run beside this run (`make reference` makes one, into `data/reference/aa/`)."))

# %% [markdown]
# ## The delay proxy
# The kernel here has no netem, so round trips are added by the suite's TCP proxy
# (`bench/netdelay.py`): it holds each packet for half the round trip in each direction,
# timestamped by the kernel on arrival. The delay it actually adds is measured in every run
# (`SELECT 1` through it against direct, 200 times) and the charts use the measured value.

# %%
if paths is not None and (paths.record == "rtt").any():
    plots.publish("fig-method-proxy-accuracy", charts.proxy_accuracy(paths), run=run,
                  caption="Round-trip delay the proxy added, measured, against the configured delay")
else:
    display(Markdown("This run has no delayed cells."))

# %% [markdown]
# ## Noise across repetitions
# Every timed cell runs in several repetitions, interleaved with the other strategies in a
# shuffled order, so slow drift on a shared machine hits all of them alike. Percentiles pool
# every request of a cell in one HdrHistogram; the error bars elsewhere are the range of the
# per-repetition medians.

# %%
plots.publish("fig-method-noise-repetitions", charts.noise(results.summary(run.path)), run=run,
              caption="Spread of per-repetition medians relative to the pooled median, per timed cell")

# %% [markdown]
# ## Limits: what this setup cannot tell you
#
# - **One machine, two cores.** Client and server share the CPUs; under concurrency the client
#   competes with PostgreSQL. Absolute numbers are this machine's; ratios measured side by side
#   in one run travel better. `python -m bench compare RUN_A RUN_B` sets your run beside ours.
# - **Emulated round trips.** The proxy adds a fixed delay per direction; real networks add
#   jitter, loss, TLS and connection setup. A real Supabase project also puts PgBouncer/Supavisor
#   and PostgREST between client and database.
# - **A Python client and a Python tier stand in for supabase-js and PostgREST.** The `rest`
#   path sends what PostgREST sends to PostgreSQL per request, in its order, each statement
#   awaited: BEGIN READ ONLY; the set_config select with Supabase Auth's claims of the seeded user
#   and the role's statement_timeout; PostgREST's own select, embed or function-call statement
#   (`LIMIT 1000 OFFSET 0` on every node); COMMIT. See the next section for what still differs.
# - **Synthetic data.** Faker values with heavy-tailed fan-out (see 01-dataset); real data may
#   be more skewed, and real tables carry bloat and dead tuples this freshly loaded data lacks.
# - **Warm cache unless stated.** Cold cells are the caching experiment's (08): the bundle's
#   relations evicted from shared buffers and the OS page cache before each request, proved by
#   blocks read; the read-path verdicts quote them.

# %% [markdown]
# ## What still differs from a real Supabase deployment
#
# - **Kong and TLS.** A supabase-js request passes Kong (API key check, header rewriting) over
#   HTTPS before PostgREST; here the headers Kong forwards are sent as values, no proxy parses them.
# - **PostgREST itself.** The tier that plays its part holds PostgREST's pool of 10 beside the
#   database and runs PostgREST's statements, but it is not PostgREST's Haskell code: request
#   parsing, JWT verification and schema-cache lookups cost what this tier's Python costs, which
#   each request reports separately (`tier_us` less `tier_db_us`) so it is never taken for
#   PostgreSQL's time.
# - **The pooler.** Supabase reaches the database through Supavisor; the suite measures Debian's
#   PgBouncer 1.18 in transaction mode with a pool of 15 (chapter 03) and runs every other cell
#   without one. 1.18 loses named prepared statements between transactions, so pooled cells use
#   unnamed statements; PgBouncer 1.21+ and Supavisor can keep them.
# - **Hosted sizes.** Supabase sizes `max_connections`, PostgREST's pool and the pooler's pool by
#   compute tier; the suite uses PostgREST's default pool of 10, the pooler's 15, and PostgreSQL's
#   defaults on a 2-core host.
# - **The versions.** The embedded server is PostgreSQL 18; Supabase runs 15 or 17. Chapter 09
#   repeats the read paths, RLS forms and lock cells on Debian's PostgreSQL 15.

# %%
display(Markdown(EMBED_NOTE))
