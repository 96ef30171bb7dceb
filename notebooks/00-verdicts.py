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
# # 00 · Verdicts: the memo's claims against measurements
#
# The design memo recommends a user-centric "star" schema on Supabase. Below, each of its claims
# is quoted briefly and answered from one run of this suite on a real PostgreSQL: the measured
# answer, a verdict (**holds**, **holds only when ...**, **does not hold**, or **not covered**),
# the conditions under which it flips, and the figures behind it. Every number on this page is
# computed from the run named below; nothing is typed in. The method and its limits:
# [06-method](06-method.html).

# %% tags=["parameters"]
run_dir = "../data/reference"

# %%
from IPython.display import Markdown, display

from bench.report import plots, verdicts
from bench.results import store as results
from bench.report.charts import verdicts as charts

run = results.load(run_dir)
v = verdicts.evaluate(run)
plots.apply_style()
m = run.meta
display(Markdown(
    f"Run `{run.id}` (git {m['git_sha'][:7]}{', dirty tree' if m.get('git_dirty') else ''}): scales **{m['scale']}**, "
    f"PostgreSQL {m['versions']['postgresql']}, {m['machine']['cores']} cores ({m['machine']['cpu_model']}), "
    f"{m['topology']}. Verdicts: " + ", ".join(f"{k} {n}" for k, n in v.verdict.value_counts().items()) + "."))

# %% [markdown]
# ## The memo's comparison table, measured

# %%
plots.publish("fig-verdicts-comparison", charts.comparison(v), run=run,
              caption="The memo's Pattern Comparison table with the verdict measured for each row")

# %%
display(Markdown(verdicts.comparison_markdown(v)))

# %% [markdown]
# ## Claim by claim

# %%
display(Markdown(verdicts.claims_markdown(v)))
