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
# # 04 · Integrity and write paths: what the star costs when things go wrong
#
# The memo lists "no referential integrity between business entities", "application-level
# consistency management" and "potential data orphaning" as the star's disadvantages, and
# accepts them. Here they are measured: multi-step signups under injected faults, the orphans
# each schema variant lets in, what foreign keys cost on writes, the `handle_new_user` trigger,
# lock waits, and the soft reference `user_state.current_session_id`.
#
# All writes go to a scratch database of the suite's with the star schema (the seeded dataset
# is never written); the orphan census seeds its own datasets with orphans injected.

# %% tags=["parameters"]
run_dir = "../data/reference"
# needs: integrity

# %%
from IPython.display import Markdown, display

from bench.report import cells, page, plots
from bench.report.claims import quote
from bench.results import store as results
from bench.report.charts import integrity as charts

run = results.load(run_dir)
table = run.table("integrity")
found = quote.findings(run, "locking", "integrity", "app_consistency", "orphans")  # as the findings record has them
plots.apply_style()
display(Markdown(page.run_header(run)))

# %% [markdown]
# <a id="integrity-1-the-memo-s-createadminuser-under"></a>
# ## 1. The memo's `createAdminUser` under faults (the headline)
# One signup writes five rows: the `auth.users` row, the profile, the user_state, the 'admin'
# role and the 'created' audit entry. Four ways to write them:
#
# | approach | what it does |
# |---|---|
# | `three_requests` | one autocommit request per row (the signup, then the memo's requests); on an error the memo's best-effort `rollbackUser` |
# | `transaction` | the same statements in one `BEGIN .. COMMIT` |
# | `rpc` | one call of a SQL function that writes all five rows |
# | `trigger` | one INSERT into `auth.users`; `handle_new_user` writes profile + state, a second trigger role + audit |
#
# A seeded schedule picks, per signup, no fault or one of: the statement in flight is cancelled
# (an error or statement timeout), the client dies (its socket is shut down, no cleanup), the
# connection is killed (`pg_terminate_backend`); and the step at which it strikes. The fault
# really lands mid-flow: a second connection holds a lock on that step's table until the fault
# is applied. The same schedule drives every approach; then every id is classified.
#
# The memo admits that consistency "must be managed in application code". The count of users its
# separate requests left inconsistent comes from injected faults: it says what can happen, not
# how often it happens in production.

# %%
display(Markdown(quote.markdown(found, "app_consistency")))
plots.publish("fig-integrity-faults-inconsistent", charts.inconsistent_users(table), run=run,
              caption="Users left inconsistent per signup approach under the same seeded fault schedule")

# %%
census = cells.at_scale(table, "census")
page.table(census.pivot_table(index="strategy", columns="class", values="users", aggfunc="sum"),
           f"users per class after every repetition of the schedule, scale {census.scale.iloc[0]} (the chart's scale)")

# %%
plots.publish("fig-integrity-signup-latency", charts.signup_latency(table), run=run,
              caption="Median latency per successful signup for each approach (no fault)")

# %% [markdown]
# <a id="integrity-2-orphan-census"></a>
# ## 2. Orphan census
# One count query per orphan class, on each variant seeded with orphans (`star` and `star_nofk`;
# `relational` forbids them by foreign key). Each class is then probed inside a rolled-back
# transaction: a foreign-key violation proves the variant makes it impossible; otherwise the
# class's query must see the probe's row. The memo's "no referential integrity between business
# entities" is counted as the classes the relational variant's keys make impossible and the
# star's keys do not.

# %%
display(Markdown(quote.markdown(found, "integrity")))
plots.publish("fig-integrity-orphans-census", charts.orphan_census(table), run=run,
              caption="Orphan classes each schema variant prevents by foreign key, and those the census only detects")

# %%
page.sql("integrity/orphans/count/role_without_profile.sql")

# %% [markdown]
# <a id="integrity-3-what-foreign-keys-cost"></a>
# ## 3. What foreign keys cost

# %%
plots.publish("fig-integrity-fk-insert", charts.fk_insert(table), run=run,
              caption="Median single-row insert into each spoke with and without its foreign key")

# %%
plots.publish("fig-integrity-bulk-load", charts.bulk_load(table), run=run,
              caption="Audit bulk load with per-row FK checks against NOT VALID + VALIDATE afterwards")

# %%
plots.publish("fig-integrity-cascade-delete", charts.cascade_delete(table), run=run,
              caption="ON DELETE CASCADE of a heavy user without and with user_id indexes")

# %% [markdown]
# <a id="integrity-4-the-trigger-flow"></a>
# ## 4. The trigger flow

# %%
plots.publish("fig-integrity-trigger-signup", charts.trigger_signup(table), run=run,
              caption="Signup latency with handle_new_user against the application writing the same rows")

# %% [markdown]
# A failing trigger: `profiles.full_name` made NOT NULL, then a signup whose metadata has no
# name. The signup fails with the trigger's error (Supabase's auth server reports it as
# "Database error saving new user") and leaves no row in any of the five tables:

# %%
page.table(table[table.record == "trigger_failure"][["scale", "sqlstate", "error_class", "error", "rows_left"]])

# %% [markdown]
# <a id="integrity-5-locking"></a>
# ## 5. Locking
# The memo says changes to one table do not affect the others: a spoke insert of a user whose
# `auth.users` row is being updated (a sign-in) or deleted, and concurrent writes of one user
# (multixacts on the hub row the foreign keys share).

# %%
display(Markdown(quote.markdown(found, "locking")))
plots.publish("fig-integrity-lock-wait", charts.lock_wait(table), run=run,
              caption="A spoke insert while its user's last_sign_in_at is updated and while the user is deleted")

# %%
plots.publish("fig-integrity-multixact-burst", charts.multixacts(table), run=run,
              caption="Multixacts created by concurrent audit-write bursts for one user against one user each")

# %% [markdown]
# <a id="integrity-6-soft-references"></a>
# ## 6. Soft references
# The memo accepts "potential data orphaning": `user_state.current_session_id` points at a chat
# session without a foreign key, so deleting sessions leaves pointers to nothing.

# %%
display(Markdown(quote.markdown(found, "orphans")))
plots.publish("fig-integrity-soft-refs", charts.soft_references(table), run=run,
              caption="Dangling user_state.current_session_id after chat sessions are deleted, and what prevents them")
