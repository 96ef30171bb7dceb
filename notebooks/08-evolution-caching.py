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
# # 08 · Schema evolution under load, and caching with a truly cold cache
#
# Two of the memo's claims are about operating the star, not about one query: "Schema evolution
# made easy" ("just link to center", "no need to modify existing tables") and "Better caching
# (each table cached independently)". Here both are measured on a live system.
#
# **Evolution.** Once per run, at its largest scale, on a scratch copy of the seeded dataset (made
# with it as the template; the seeded dataset is never changed): signups (an `auth.users` insert
# whose `handle_new_user` trigger writes the profile and state), sign-ins (`last_sign_in_at`),
# profile edits, spoke writes and 'account' reads run at a steady rate in background threads,
# latency measured from each request's intended start (open loop). Meanwhile the memo's recipe and
# the changes a loaded spoke needs run one after the other; `pg_locks` tells which locks each took
# and which request kinds waited.
#
# **Caching.** At every scale, for every read strategy: warm; the bundle's relations evicted from
# shared buffers (`pg_buffercache_evict_relation`) before every request; and truly cold, evicted
# from shared buffers and from the OS page cache (`posix_fadvise(POSIX_FADV_DONTNEED)` on the
# relation files after a checkpoint) before every request. Users are drawn uniformly from the
# whole population, and separately with probability proportional to their activity.
# `track_io_timing` is on in every cell; block counts come from `pg_stat_statements`.

# %% tags=["parameters"]
run_dir = "../data/reference"
# needs: evolution, caching

# %%
from IPython.display import Markdown, display

from bench.report import evolution_cells as cells
from bench.report import page, plots
from bench.report.claims import quote
from bench.report.charts import evolution as charts
from bench.results import store as results

run = results.load(run_dir)
evolution = run.table("evolution")
caching = run.table("caching")
found = quote.findings(run, "evolution", "caching")  # this page's claims, as the findings record has them
plots.apply_style()
display(Markdown(page.run_header(run, f"Evolution at scale **{cells.impact(evolution).scale.iloc[0]}**.")))

# %% [markdown]
# <a id="evolution-caching-1-the-memo-s-recipe-on"></a>
# ## 1. The memo's recipe on a live hub
# The memo adds a feature by creating a table that references `auth.users`:

# %%
page.sql("evolution/changes/recipe_star.sql", "The memo's recipe, as run")

# %% [markdown]
# A foreign key needs `SHARE ROW EXCLUSIVE` on the referenced table: it does not block reads, but
# it conflicts with every `INSERT`/`UPDATE`/`DELETE` on it. Three conditions: a quiet hub; a
# transaction that wrote `auth.users` (a sign-in) and stays open; the same, with the change run
# as migration tools run it (`lock_timeout` 100 ms, a pause, a retry). The relational variant's
# version of the feature references `profiles` instead. The memo's "easy to add tables" is
# decided on the quiet hub; the long transaction is the stated stress condition.

# %%
display(Markdown(quote.markdown(found, "evolution")))
plots.publish("fig-evolution-recipe-wait", charts.recipe_wait(evolution), run=run,
              caption="Slowest request per kind while the memo's recipe ran, per condition, star and relational")

# %%
plots.publish("fig-evolution-recipe-timeline", charts.recipe_timeline(evolution), run=run,
              caption="Every request around the memo's recipe with a long transaction, without and with lock_timeout")

# %%
locks = cells.records(evolution, "lock")
page.table(locks[locks.change.isin(cells.RECIPES) & locks.granted.astype(bool)
                 & ~locks.relation.str.endswith(("_pkey", "_idx", "_key"))].pivot_table(
    index=["change", "relation"], columns="condition", values="mode",
    aggfunc=lambda x: ", ".join(sorted(set(x)))).reset_index(), "relation locks granted to the change (pg_locks)")

# %%
recipes = cells.impact(evolution)[cells.impact(evolution).change.isin(cells.RECIPES)]
page.table(recipes.groupby(["change", "condition", "kind"], sort=False).agg(
    repetitions=("max_us", "size"), requests=("requests", "median"), waited=("waited", "median"),
    delayed=("delayed", "median"), errors=("errors", "sum"), p50_us=("p50_us", "median"), p99_us=("p99_us", "median"),
    worst_us=("max_us", "max"), baseline_p99_us=("baseline_p99_us", "median")).reset_index(),
           "per cell over its repetitions: medians, the worst request of any repetition; latencies in µs from each "
           "request's intended start; waited: seen waiting on a lock in pg_locks; delayed: over twice the baseline "
           "p99 (at least 10 ms)")

# %% [markdown]
# <a id="evolution-caching-2-changes-to-a-loaded-spoke"></a>
# ## 2. Changes to a loaded spoke
# `auth_audit_log` is the biggest spoke; the load writes to it and reads it. Each change runs with
# nothing else holding the table: a column with a constant default (no rewrite), `SET NOT NULL`
# (a scan under `ACCESS EXCLUSIVE`), an index plain and `CONCURRENTLY`, a foreign key plain and
# `NOT VALID` then `VALIDATE`; and the relational migration of an existing spoke (`user_roles`
# re-pointed from `auth.users` to `profiles`, NOT VALID, then validated).

# %%
plots.publish("fig-evolution-spoke-changes", charts.spoke_changes(evolution), run=run,
              caption="Duration of each change to a loaded spoke beside the slowest write and read it caused")

# %%
page.table(cells.spoke_summary(evolution).assign(blocked_kinds=lambda d: d.blocked_kinds.map(", ".join),
                                                 stalled_kinds=lambda d: d.stalled_kinds.map(", ".join)),
           "durations and latencies in µs; blocked: seen waiting on the change's lock; stalled: a request over 100 ms")

# %%
errs = cells.impact(evolution)
page.table(errs[errs.errors > 0][["change", "condition", "kind", "requests", "errors", "error_codes"]],
           "requests that failed while a change ran")

# %% [markdown]
# A failed read after `ADD COLUMN` is PostgreSQL's `cached plan must not change result type`: the
# read path uses prepared `SELECT *` statements (as node-postgres named statements and PostgREST
# do), and adding a column changes their result type. The load's client reconnects after it.

# %% [markdown]
# <a id="evolution-caching-3-caching-the-same-pages-warm"></a>
# ## 3. Caching: the same pages, warm and cold
# Proof first: the joined statement for one user right after the eviction (`EXPLAIN (ANALYZE,
# BUFFERS)`), then again.

# %%
page.table(cells.proof(caching), "shared blocks of the joined statement for one user, right after the eviction "
           "and again; read_ms from track_io_timing")

# %%
ok, why = cells.proven_cold(caching)
display(Markdown("Every cold cell read shared blocks and had its OS page cache dropped." if ok
                 else f"**The cold cells did not prove they were cold:** {why}."))

# %% [markdown]
# The memo's "each table cached independently" is decided on the cold cells: the shared buffers
# each strategy touches (the second chart) and, cold, Promise.all against the one-request JOIN.

# %%
display(Markdown(quote.markdown(found, "caching")))
plots.publish("fig-caching-latency-cache", charts.cache_latency(caching), run=run,
              caption="Median latency per read strategy warm, with shared buffers evicted and truly cold")

# %%
plots.publish("fig-caching-buffers-strategy", charts.cache_buffers(caching), run=run,
              caption="Shared buffers hit and read per bundle and strategy, warm and cold")

# %% [markdown]
# Users drawn with probability proportional to their activity (heavier users, more pages):

# %%
page.table(cells.cache_medians(caching, "activity").pivot_table(
    index="strategy", columns="cache", values="p50_us").reset_index(), "median latency per bundle, µs")

# %%
page.table(cells.buffers(caching, "activity"), "shared buffers and read time (µs) per bundle")

# %%
small = caching[(caching.cache == "small_buffers") & (caching.record != "skipped")]
display(Markdown(
    f"The tagged cells (`small_buffers`): the warm cells again at scale {small.scale.iloc[0]} with the server restarted "
    f"at shared_buffers = {small.shared_buffers.iloc[0]} (the other cells: "
    f"{caching[caching.cache == 'warm'].shared_buffers.iloc[0]}), so most of a bundle's pages come from the OS page "
    "cache; they are on the first caching chart and in the median-latency table above." if len(small) else
    "Not measured in this run: warm cells with `shared_buffers` smaller than the working set (a tagged pass that "
    "restarts the embedded server)."))
