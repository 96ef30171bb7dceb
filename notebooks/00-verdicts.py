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
# Each claim of the design memo, decided from one run of this suite on a real PostgreSQL by a rule
# written down before the run (`bench/report/claims/`, one module per claim; CLAIMS.md). Every label,
# condition, attribution and headline figure on this page comes from the run's findings record
# (`findings.json` beside the pages); nothing is typed in.

# %% tags=["parameters"]
run_dir = "../data/reference"

# %%
from IPython.display import HTML, Markdown, display

from bench.report import claims, page, plots
from bench.report.claims import text
from bench.results import store as results
from bench.report.charts import verdicts as charts

run = results.load(run_dir)
findings = claims.findings(claims.record(run))
plots.apply_style()
display(HTML("<h2>The bottom line</h2>" + text.bottom_line_html(findings, page="")))
display(HTML(text.table_html(findings)))
display(Markdown(page.run_header(run) + " How far the numbers hold (the rule's false-call rate on the sham pairs): "
                 "[06-method](06-method.html)."))

# %% [markdown]
# ## The memo's comparison table, measured

# %%
plots.publish("fig-verdicts-comparison", charts.comparison(findings), run=run,
              caption="The memo's Pattern Comparison table with the verdict decided for each row")

# %%
display(Markdown(text.comparison_markdown(findings, claims.MEMO_TABLE)))

# %% [markdown]
# ## Claim by claim
#
# Each claim with its rule in one sentence ("The memo is right if ..., wrong if ..."), its verdict, its
# headline figure (a ratio with its 95 % interval, or a count; the surface, RTT, scale, client and users
# it was measured for) and its attribution (star-specific, or shared with the relational design).
# Latency verdicts are median statements; the mean and p95 are reported beside them. Counts that come
# from injected faults say what can happen, not how often.

# %%
display(Markdown(text.claims_markdown(findings)))
