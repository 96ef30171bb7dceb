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
# instruments: the rule that calls a difference, measured on the run's own sham pairs; the
# repetitions each block took to decide; where client and server ran; the harness against
# PostgreSQL's own `pgbench`; the delay proxy; the A/A twin run; then the machine, the versions
# and what this setup cannot tell you.

# %% tags=["parameters"]
run_dir = "../data/reference"

# %%
from IPython.display import Markdown, display

from bench.report import calibration, calls, page, plots, sham
from bench.results import stats
from bench.report.method_notes import EMBED_NOTE
from bench.results import store as results
from bench.report.charts import clients as client_charts
from bench.report.charts import method as charts

run = results.load(run_dir)
plots.apply_style()
paths = run.table("read_paths") if run.has("read_paths") else None
display(Markdown(page.run_header(run, f"Experiments: {', '.join(run.meta.get('tables', {}))}.")))

# %% [markdown]
# ## Calls: the rule, and its own false-call rate
# A comparison between two strategies is a ratio of medians, taken per repetition (every strategy
# of a repetition takes the same users in the same order) and averaged on the log scale, with a
# 95 % t interval over the repetitions. It is called *faster* or *slower* where the interval is
# clear of 1 and the ratio beyond the 10 % margin, *equivalent* where the whole interval lies
# inside the margin, and *undecided* where it straddles the margin (CLAIMS.md, rule 3). The
# percentile bootstrap used before gave intervals too narrow for five repetitions.
#
# Every timed block carries a **sham**: a twin of the block's one-request form (the same
# statements on the same connection, under another label), interleaved with the other strategies
# in shuffled order. Nothing differs between a sham and its twin, so every sham pair called
# faster or slower is a false call. The rule is calibrated when at most 5 % are.

# %%
summary = calibration.sham_summary(run)
if len(summary):
    shown = summary.assign(**{c: summary[c].map(lambda v: f"{v:.1%}") for c in
                              ("false_call_rate", "equivalent_rate", "undecided_rate", "median_spread")})
    display(page.table(shown.drop(columns=["calibrated"]).rename(columns={
        "pairs": "sham pairs", "false_calls": "called faster/slower", "false_call_rate": "false-call rate",
        "equivalent_rate": "equivalent", "undecided_rate": "undecided", "median_spread": "median spread"})))
    p = sham.pairs(paths)
    display(Markdown(sham.sentence(p)))
    plots.publish("fig-method-sham-intervals", charts.sham_intervals(p, stats.MARGIN), run=run,
                  caption="Every read-path sham pair: the sham over its twin, with its 95 % t interval, against the "
                  "10 % margin band")
    display(page.table(calibration.sham_by_rtt(paths)))
    margins = calibration.load_margins(run)
    if len(margins):
        display(Markdown(calibration.load_margin_sentence(margins)))
        display(page.table(margins))
else:
    display(Markdown("This run predates the sham pairs: its false-call rate is not measured."))

# %% [markdown]
# ## Repetitions enough to decide
# A read-path block (one bundle through one envelope at one RTT) runs five repetitions, then one
# more at a time while any comparison in it (each strategy against the one-request form, and the
# sham) is undecided, up to ten. Blocks whose differences are large stop at five; those near the
# margin run to the cap, and stay undecided if the data cannot settle them. The sham pairs above
# went through the same stopping rule, so their rate includes its cost. The other clients take
# as many repetitions as the harness's block of the same bundle.

# %%
taken = calibration.reps_taken(paths) if paths is not None else None
if taken is not None and len(taken):
    display(page.table(taken.rename(columns={"rtt_ms": "RTT (ms)", "blocks": "blocks", "fewest": "fewest repetitions",
                                     "median": "median", "most": "most"})))
else:
    display(Markdown("This run used a fixed number of repetitions per block."))

# %% [markdown]
# ## Client and server apart
# On two cores, PostgreSQL and the tier that plays PostgREST run on one core and the client side
# (the harness, the delay proxies, pgbench, node and supabase-js) on the other, as a client and
# a database on two machines would; idle cores are kept polling rather than halting while a run
# measures (a halted virtual CPU wakes tens to hundreds of microseconds late). `BENCH_PIN=0` and
# `BENCH_AWAKE=0` turn either off for a comparison.

# %%
placed = run.meta.get("pinning")
display(Markdown("This run: " + (", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in placed.items())
                                 if placed else "no record of where client and server ran (it predates pinning).")))
proxy = calibration.proxy_cost(paths) if paths is not None else None
if proxy is not None and len(proxy):
    display(page.table(proxy))
tier_time = calibration.tier_by_rtt(paths) if paths is not None else None
if tier_time is not None and len(tier_time):
    display(Markdown("The tier's own time per HTTP request (median, µs: parsing, token and body, beside its "
                     "statements' time to PostgreSQL) should not depend on the client's round trip, which lies "
                     "outside it:"))
    display(page.table(tier_time))
    display(Markdown(calibration.tier_growth(tier_time)))

# %% [markdown]
# ## The memo's own code: supabase-js through the tier
# The memo's `getUserData` (Promise.all over three `supabase.from(...).select('*').eq(...)`
# calls), the same calls in turn, and one `.rpc()`, run by `@supabase/supabase-js` itself
# against the tier, over the same delayed link and for the same users in the same order as the
# harness. Each row: the memo's form against the RPC, called by the suite's rule, and how far the
# memo's client and the Python harness agree on the same requests.

# %%
sb = calibration.supabase_calls(paths) if paths is not None else None
if sb is not None and len(sb):
    display(page.table(sb.rename(columns={"rtt_ms": "RTT (ms)", "a": "the memo's form", "b": "against",
                                  "call": "supabase-js: ratio [95 %], call"})))
else:
    display(Markdown("This run has no supabase-js cells (Node.js absent, or the run predates them; run.json says which)."))

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
# client's per-request latency over pgbench's, the whisker its 95 % paired t interval.

# %%
if paths is not None:
    plots.publish("fig-method-clients-over-pgbench", client_charts.against_pgbench(calls.requests(paths)), run=run,
                  caption="Per-request latency of psycopg and node-postgres over pgbench's, same statements, "
                  "users and order, per strategy and RTT")

# %% [markdown]
# ## A/A: the same code and data, run twice
# `make reference` runs the read-path matrix and the caching experiment a second time at the
# headline scale, nothing changed. Set side by side, first every cell by `python -m bench compare`
# (the suite's rule: a Welch t interval on the two runs' per-repetition medians), then the headline
# calls themselves: a call that differs between the twins is read as undecided. Last, the cold
# calls the verdicts quote (cold cache, direct, psycopg: Promise.all and the star's queries in
# turn, each against the fastest one-request join), the ratio of medians [95 % interval] and the
# call in this run and in the twin, and whether they agree: a cold call the twin makes otherwise
# counts as undecided in the caching, parallel and no-joins verdicts.

# %%
aa_dir = results.aa_run(run.path)
if aa_dir is not None:
    from bench.results import compare

    plots.publish("fig-method-aa", charts.aa(compare.compare(run.path, aa_dir), stats.MARGIN), run=run,
                  caption="A/A: per-cell ratio of medians between two runs of the same code and data, and the share "
                  "called changed per margin")
    twin = results.load(aa_dir).table("read_paths")
    differ = calibration.aa_differences(paths, twin)
    display(Markdown(calibration.aa_sentence(differ)))
    if len(differ):
        display(page.table(differ.assign(**{c: differ[c].round(2) for c in ("ratio", "lo", "hi", "ratio_twin", "lo_twin",
                                                                    "hi_twin")})))
else:
    display(Markdown("No A/A run beside this run (`make reference` makes one, into `data/reference/aa/`)."))

# %%
from bench.report import evolution_cells as ec

cold = calibration.cold_twin_calls(run.table("caching") if run.has("caching") else None, ec.twin_caching(run.path))
display(Markdown(calibration.cold_twin_sentence(cold)))
if len(cold):
    words = lambda r, s="": (f"{r['ratio' + s]:.2f}x [{r['lo' + s]:.2f}-{r['hi' + s]:.2f}] {r['call' + s]}"  # noqa: E731
                             if r["call" + s] else None)
    display(page.table(cold.assign(run=cold.apply(words, axis=1), twin=cold.apply(words, axis=1, s="_twin"))
                       [["a", "b", "run", "b_twin", "twin", "same"]].replace("", None),
                       note="– : the twin has no proven cold cells at this run's scale" if (cold.call_twin == "").any()
                       else ""))

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
# - **One machine, two cores.** Client and server are pinned to one core each, but share the
#   memory bus and caches; under concurrency the server has one core, not two. Absolute numbers are this machine's; ratios measured side by side
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
#   PostgreSQL's time. Under load (03) the tier is one Python thread on the server's core beside
#   PostgreSQL, where PostgREST would spread its requests over every core it has: the table below
#   gives its CPU per HTTP request, the price each of Promise.all's three requests pays again. The
#   load client sends the requests supabase-js makes, recorded once per user, through node's own
#   http client: supabase-js's query builder and fetch, about half a millisecond per request on
#   Node's one thread, would make the client the bottleneck on the client's one core.
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
if run.has("concurrency"):
    tier_load = calibration.tier_load_cost(run.table("concurrency"))
    if len(tier_load):
        display(page.table(tier_load, "through the PostgREST path under load (03): the tier's CPU per HTTP request and "
                           "each side's cores, median over the repetitions of each saturation cell"))
