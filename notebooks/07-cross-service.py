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
# # 07 · Cross-service queries and the ORM's view
#
# The memo calls the star "microservices architecture ready" (each service owns its table) and
# admits that "complex business logic queries" need joins. Here three business questions that
# cross spokes are answered four ways on the same seeded data, after checking that all four
# return the same users:
#
# | approach | what it does |
# |---|---|
# | `join_star` | one SQL statement joining the spokes, on the star dataset |
# | `join_relational` | the same statement on the relational dataset (user -> profile -> spokes) |
# | `services_parallel` | each service reads only its own table with its own filter, at once; pandas joins |
# | `services_chained` | the first service's users are handed to the second (a lookup by ids); pandas joins |
#
# Then the 'account' bundle for a page of users, as a Python engineer meets it: SQLAlchemy's
# relationship loaders against the raw strategies, as the round trip grows. Single client, warm
# cache, user_id indexes in place, three interleaved repetitions in shuffled order.

# %% tags=["parameters"]
run_dir = "../data/reference"
# needs: cross_service

# %%
from IPython.display import Markdown, display

from bench.names import CROSS_QUERIES
from bench.report import cells, page, plots
from bench.report.claims import quote
from bench.results import store as results
from bench.report.charts import cross_service as charts

run = results.load(run_dir)
table = run.table("cross_service")
summary = results.summary(run.path)
q = cells.query_cells(summary)
o = cells.orm_cells(summary, table)
found = quote.findings(run, "microservices", "business_queries")  # this page's claims, as the findings record has them
plots.apply_style()
display(Markdown(page.run_header(
    run, f"{int((table.record == 'request').sum()):,} timed queries, {int((table.record == 'page').sum()):,} timed pages.")))

# %% [markdown]
# <a id="cross-service-the-questions-and-the-same-answer"></a>
# ## The questions, and the same answer first
# "Now" is the latest activity in the data (the data sit on a fixed epoch), bound as a parameter
# by every approach. Before any timing every approach returned the same sorted list of user ids
# (duplicates kept); the ORM loaders returned the raw page's bundles, user by user.

# %%
eq = table[table.record == "equivalence"][["scale", "condition", "answer_rows", "checksum"]]
page.table(eq.assign(checksum=eq.checksum.str[:16]))

# %%
for name, title in CROSS_QUERIES.items():
    page.sql(f"queries/cross/{name}.sql", f"SQL: {title} ({name})")

# %% [markdown]
# <a id="cross-service-latency-by-scale"></a>
# ## Latency by scale
# Two of the memo's claims are decided on this chart, at the largest scale: "microservices
# ready" (the better per-service way against one join, for the question where it does worst)
# and the admitted cost that business questions need joins (the star's join against the
# relational variant's). Their figures are ratios paired per repetition with a 95 % interval,
# and name each question by its id (beside its SQL above); the sentence under the chart gives
# ratios of the medians over all repetitions, so its numbers can differ a little.

# %%
display(Markdown(quote.markdown(found, "microservices")))
display(Markdown(quote.markdown(found, "business_queries")))
plots.publish("fig-cross-latency-scale", charts.latency_by_scale(q), run=run,
              caption="Median latency of three cross-spoke queries per approach (SQL join or per-service "
              "fetches) by scale")

# %% [markdown]
# <a id="cross-service-bytes-moved-by-scale"></a>
# ## Bytes moved by scale
# DataRow bytes the application receives plus the id lists it sends to a chained service.

# %%
plots.publish("fig-cross-bytes-scale", charts.bytes_by_scale(table), run=run,
              caption="Bytes on the wire per execution of three cross-spoke queries per approach by scale")

# %%
page.table(cells.moved(table).pivot_table(index=["condition", "strategy"], columns="scale",
                                           values=["rows", "moved_bytes", "statements"], sort=False),
           "rows received, bytes moved (received plus the id lists sent) and statements per execution, by scale")

# %% [markdown]
# <a id="cross-service-client-memory-by-scale"></a>
# ## Client memory by scale
# Python-heap peak (tracemalloc) from the request to the answer; libpq's result buffers, about
# the bytes received, come on top.

# %%
plots.publish("fig-cross-memory-scale", charts.memory_by_scale(table), run=run,
              caption="Client Python-heap peak per execution of three cross-spoke queries per approach by scale")

# %% [markdown]
# <a id="cross-service-the-orm-n-1-against-the"></a>
# ## The ORM: N+1 against the batched loaders, across the round trip
# A page of users by signup with their profile, roles and audit entries. Statements per page are
# counted with SQLAlchemy's `before_cursor_execute` event; each ORM page is also one session,
# whose BEGIN and ROLLBACK add two round trips the count leaves out. The raw strategies run
# without a transaction, as the read-paths strategies do.

# %%
plots.publish("fig-cross-orm-latency-rtt", charts.orm_latency_vs_rtt(o), run=run,
              caption="Median latency of a page of 'account' bundles per SQLAlchemy loader and raw strategy "
              "against the measured round trip")

# %%
page.table(o.pivot_table(index="strategy", columns=["scale", "rtt_ms"], values="p50_us", sort=False).div(1000).round(1), "median latency per page in ms, by scale and RTT (ms)")

# %% [markdown]
# The one-statement page the raw strategy sends:

# %%
page.sql("queries/cross/account_page.sql")
