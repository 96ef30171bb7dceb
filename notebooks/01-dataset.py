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
# # 01 · The dataset
#
# What the suite seeds before it times anything: the memo's star schema and its relational
# alternative, the rows per table at each scale, how many rows one user owns in each spoke,
# and how scattered one user's rows are on disk. Every number below is read from a results
# run (`run_dir`); nothing here talks to the database.

# %% tags=["parameters"]
run_dir = "../data/reference"
# needs: dataset

# %%
from IPython.display import Markdown, display

from bench.report import page, plots
from bench.results import store as results
from bench.report.charts import dataset as charts

run = results.load(run_dir)
ds = run.table("dataset")
plots.apply_style()
display(Markdown(page.run_header(run)))

# %% [markdown]
# <a id="dataset-the-schema-variants"></a>
# ## The schema variants
# `star` is the memo's schema as written: every spoke references only `auth.users`.
# `relational` is the memo's "traditional" alternative: the spokes reference `profiles`, which
# references `auth.users`, so user → profile → roles/audit is enforced by the database.
# `star_nofk` drops every foreign key (for the orphan census). The chat domain hangs off
# `chat_sessions` in both checked variants.

# %%
plots.publish("fig-dataset-schema-variants", charts.schema_graph(ds), run=run, caption="Foreign-key graph of each schema variant")

# %% [markdown]
# <a id="dataset-rows-per-table-at-each-scale"></a>
# ## Rows per table at each scale
# Planned by the generator from the same seed (the seeded scale is checked against these
# counts before a run is accepted).

# %%
plots.publish("fig-dataset-rows-scale", charts.rows_per_scale(ds), run=run, caption="Rows per table at scales xs, s, m and l")

# %% [markdown]
# <a id="dataset-fan-out-rows-per-user-in"></a>
# ## Fan-out: rows per user in each spoke
# Roles: 1–3, mostly 1. Audit entries: lognormal, median near 10, a tail into the thousands.
# Chat sessions: geometric, mean near 5. Counted in the seeded database.

# %%
plots.publish("fig-dataset-fanout-distribution", charts.fanout(ds), run=run, caption="Rows per user in each spoke (log-log)")

# %% [markdown]
# <a id="dataset-how-scattered-one-user-s-rows"></a>
# ## How scattered one user's rows are on disk
# Spoke rows are written in time order, as a live application writes them, so one user's
# audit entries are spread over the heap rather than stored together. Each dot is one sampled
# user: the distinct 8 kB heap pages holding their rows (from `ctid`).

# %%
plots.publish("fig-dataset-scatter-pages", charts.scatter(ds), run=run, caption="Heap pages holding one user's audit rows")

# %% [markdown]
# The SQL behind the fan-out and scatter figures:

# %%

page.sql("queries/dataset/scatter.sql")
