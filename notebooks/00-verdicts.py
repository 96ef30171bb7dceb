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
# Each claim of the design memo, answered from one run of this suite on a real PostgreSQL. Every
# number and verdict on this page is computed from the run named below; nothing is typed in.

# %% tags=["parameters"]
run_dir = "../data/reference"

# %%
from IPython.display import HTML, Markdown, display

from bench.report import page, plots, verdicts
from bench.results import store as results
from bench.report.charts import verdicts as charts

run = results.load(run_dir)
v = verdicts.evaluate(run)
plots.apply_style()
display(HTML("<h2>The bottom line</h2>" + verdicts.bottom_line_html(v, page="")))
display(HTML(verdicts.table_html(v)))
display(Markdown(page.run_header(run) + " How far the numbers hold: [06-method](06-method.html)."))

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
