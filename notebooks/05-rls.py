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
# # 05 · RLS: what "simplified security" costs, and whether isolation holds
#
# The memo promises "consistent, simple policies across all tables": `auth.uid() = user_id` on
# every spoke. Here every request runs as PostgREST runs it: a transaction that sets the role
# (`authenticated`, `anon`, `service_role`) and `request.jwt.claims`, then the statement. Three
# questions: which way of writing the policy is fast (and how that scales), what RLS adds to each
# read strategy, and whether one user can ever read another's rows.
#
# Policy forms, applied to `auth_audit_log` (the largest spoke), each with and without
# `TO authenticated`, with and without the `user_id` index, with and without an explicit
# `user_id = $1` in the query:
#
# | form | USING (...) |
# |---|---|
# | `off` | RLS disabled on the table |
# | `memo` | `auth.uid() = user_id` (the memo, verbatim) |
# | `select_uid` | `(select auth.uid()) = user_id` (Supabase's advice: evaluated once, as an InitPlan) |
# | `role_fn` | `auth.uid() = user_id OR public.is_admin()` (a role check reading user_roles) |
# | `role_fn_select` | `auth.uid() = user_id OR (select public.is_admin())` |
# | `role_fn_definer` | `auth.uid() = user_id OR public.is_admin_definer()` (SECURITY DEFINER) |

# %% tags=["parameters"]
run_dir = "../data/reference"
# needs: rls

# %%
from IPython.display import Markdown, display

from bench.report import cells, page, plots
from bench.report.claims import quote
from bench.results import store as results
from bench.report.charts import rls as charts

run = results.load(run_dir)
table = run.table("rls")
policy = cells.policy_cells(table)
found = quote.findings(run, "rls", "oauth")  # this page's claims, as the findings record has them
plots.apply_style()
display(Markdown(page.run_header(
    run, (f"Policy forms at scales **{', '.join(cells.scales(policy))}**. Each policy cell: real executions, each its "
     "own request transaction as PostgREST opens it (as many as fit a quarter second after a warm-up, or the one run "
     "of a statement slower than half a second), server time from pg_stat_statements; EXPLAIN ANALYZE gives the "
     "plan shape only. A cell past its role's statement_timeout (Supabase's: 8 s for authenticated, 3 s for anon) "
     "is marked as timed out, where a Supabase request would have failed."))))

# %% [markdown]
# <a id="rls-cost-per-policy-form-by-scale"></a>
# ## Cost per policy form, by scale

# %%
plots.publish("fig-rls-forms-scale", charts.forms_by_scale(policy, "select"), run=run,
              caption="Server time of one user's audit rows per RLS policy form and scale (policy as the only filter)")

# %%
plots.publish("fig-rls-forms-count", charts.forms_by_scale(policy, "count"), run=run,
              caption="Server time of a whole-table count(*) per RLS policy form and scale")

# %% [markdown]
# <a id="rls-the-index-and-the-explicit-filter"></a>
# ## The index and the explicit filter

# %%
plots.publish("fig-rls-index-filter", charts.index_and_filter(policy), run=run,
              caption="The memo's policy and the sub-select form with and without the user_id index and filter")

# %% [markdown]
# <a id="rls-the-anon-caller-and-to-authenticated"></a>
# ## The anon caller and `TO authenticated`

# %%
plots.publish("fig-rls-anon-to", charts.anon_caller(policy), run=run,
              caption="An anonymous count(*) per policy form, without and with TO authenticated")

# %% [markdown]
# <a id="rls-plan-shapes"></a>
# ## Plan shapes
# Per-row filter: the policy's expression is evaluated for every row the scan reads. InitPlan:
# evaluated once per statement, its value then used like a parameter (and usable in an index
# condition). One-time filter false: the planner proved no row can pass (no policy applies to
# the caller).

# %%
shapes = policy[(policy.scale == cells.largest_scale(policy)) & (policy["index"] == "indexed")]
page.table(shapes.pivot_table(index=["form", "to"], columns=["query", "caller"], values="shape", aggfunc="first"), "plan shape per policy form, query and caller")

# %%
for form in ("memo", "select_uid", "role_fn_definer"):
    cell = shapes[(shapes.form == form) & (shapes.to == "public") & (shapes["query"] == "select")
                  & (shapes.caller == "authenticated")]
    if len(cell):
        page.plan(cell.plan_text.iloc[0], f"Plan: {charts.FORM_LABELS[form]}")

# %% [markdown]
# <a id="rls-each-read-strategy-with-and-without"></a>
# ## Each read strategy with and without RLS
# The five strategies of notebook 02 through PostgREST's envelope: as `service_role` (which
# bypasses RLS), under the memo's policies, and under the `(select auth.uid())` form on every
# spoke. Indexed `user_id`, RTT 0, warm cache.

# %%
s = cells.strategy_cells(results.summary(run.path))
server = table[table.record == "server"]
plots.publish("fig-rls-strategies", charts.strategies_with_rls(s, server, "account"), run=run,
              caption="Median latency per read strategy through the PostgREST envelope, RLS bypassed and on")

# %% [markdown]
# Plan shape of every statement of each bundle, as the user (under each policy form) and as
# service_role, from one EXPLAIN ANALYZE each (times in µs; single executions, so noisy: the
# shapes are the point, the timed figure above is the cost).

# %%
bp = table[table.record == "bundle_plan"]
page.table(bp.pivot_table(index=["bundle", "statement"], columns=["condition", "caller"], values="shape", aggfunc="first"))

# %% [markdown]
# <a id="rls-isolation"></a>
# ## Isolation
# For every spoke (read whole) and every strategy (asking for user B's bundle as user A): user
# A receives exactly A's rows; anon, a request without claims and a forged claim (role
# `service_role` written into the JWT while the database role stays `authenticated`) receive
# nothing of B's; `service_role` receives everything. Last, a view over `auth_audit_log` created
# the default way runs with its owner's rights and hands every user's rows to user A;
# `security_invoker = true` closes it. The same checks run in `make test`, where they also fail
# on purpose once a policy is dropped. The verdict on the memo's "isolated data universe" counts
# the checks on the tables; the view's checks, which the chart's sentence counts too, make its
# condition.

# %%
display(Markdown(quote.markdown(found, "oauth")))
iso = table[table.record == "isolation"]
plots.publish("fig-rls-isolation", charts.isolation_matrix(iso), run=run,
              caption="Isolation checks per caller, spoke and strategy; the plain view's leak in red")

# %% [markdown]
# The role-check functions the policies call:

# %%
page.sql("rls/functions.sql")

# %% [markdown]
# <a id="rls-write-paths-what-a-caller-can"></a>
# ## Write paths: what a caller can write to another user's rows
# Reads are only half of "simplified security". Every caller of the isolation checks tries, on
# every spoke, to insert a row for user B, update and delete B's rows, TRUNCATE the table and
# attach a trigger (with a function in its temporary schema); user A also inserts
# `(A, 'admin')` into `user_roles` and then reads `auth_audit_log` under each role-check policy
# form. Each attempt is a request transaction that is rolled back. The same checks run under the
# safe set (`rls/safe.sql`: separate `FOR SELECT` and write policies with `WITH CHECK`, no user
# write policy on `user_roles`, grants without TRUNCATE/TRIGGER, `handle_new_user` with a pinned
# `search_path`). `[postgrest]` marks what a supabase-js client can do with its JWT, `[direct]`
# what needs a SQL connection as that role. The verdict on "simplified security" rests on these
# checks, counted at the run's largest scale, as the chart and the sentence under it show them.

# %%
display(Markdown(quote.markdown(found, "rls")))
plots.publish("fig-rls-write-paths", charts.write_paths(table), run=run,
              caption="Write checks per caller and operation, the memo's policies and grants against the safe set")
if (table.record == "write").any():
    page.table(cells.write_cells(table).pivot_table(index=["op", "case", "reach"], columns="policy_set",
                                                    values="held", aggfunc="sum").reset_index(),
               "checks held per operation and caller (out of 8 spokes for the per-spoke operations)")

# %% [markdown]
# The safe set, as applied:

# %%
page.sql("rls/safe.sql")
