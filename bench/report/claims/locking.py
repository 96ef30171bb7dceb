"""locking: "Minimal locking (changes to one table don't affect others)"."""
from __future__ import annotations

from bench.report import cells
from bench.report.claims import core

SPEC = core.Spec(
    key="locking", quote="Minimal locking (changes to one table don't affect others)", where="Performance Benefits",
    needs=("integrity",),
    comparison=("waits of spoke inserts while the user's hub row changes (an ordinary update of last_sign_in_at; a "
                "delete), and multixacts of concurrent writes for one user against writes spread over users"),
    surfaces="direct connections, the largest scale",
    attribution_test="star against relational: any foreign key to the user's row takes FOR KEY SHARE",
    rule=("The memo is right if spoke writes never wait on changes to the hub or other spokes, right only when the "
          "user's row is not deleted or re-keyed (if only those block them, or one user's concurrent writes pile up "
          "multixacts), wrong if ordinary hub updates block them, undecided if the run has no lock cells."))
WAITED = 0.05  # a share of tries that waited, beyond noise


def decide(n: int, ordinary_waited: float, delete_waited: float, mx_same: float, mx_spread: float) -> tuple[str, str]:
    if n == 0:
        return core.UNDECIDED, "no lock cell in this run"
    if ordinary_waited > WAITED:
        return core.WRONG, ""
    conds = []
    if delete_waited > WAITED:
        conds.append(f"the user is not being deleted (a delete blocked {delete_waited:.0%} of spoke inserts)")
    if mx_same > mx_spread:
        conds.append(f"one user's concurrent writes stay few ({mx_same:.0f} multixacts per burst for one user, "
                     f"{mx_spread:.0f} spread over users)")
    return (core.RIGHT_WHEN, "; ".join(conds)) if conds else (core.RIGHT, "")


def evaluate(ev: core.Evidence) -> core.Finding:
    t = ev.table("integrity")
    lock = cells.at_scale(t, "lock")
    waited = lock.groupby("strategy").blocked.mean() if len(lock) else lock
    mx = cells.at_scale(t, "multixact").groupby("strategy").multixacts.median()
    ordinary, delete = float(waited.get("update_last_sign_in", 0)), float(waited.get("delete_user", 0))
    label, cond = decide(len(lock), ordinary, delete, float(mx.get("same_user", 0)), float(mx.get("distinct_users", 0)))
    p50 = cells.medians(lock, "strategy").set_index("strategy").p50_us / 1000 if len(lock) else {}
    fig = core.Figure("share of spoke inserts that waited while last_sign_in_at was updated", 100 * ordinary, unit="%",
                      surface="direct connections", scale=str(lock.scale.iloc[0]) if len(lock) else "")
    answer = (f"A spoke insert waited on its user's row in {delete:.0%} of tries while the user was being deleted "
              f"({p50.get('delete_user', float('nan')):.1f} ms median) and in {ordinary:.0%} while last_sign_in_at was "
              f"updated ({p50.get('update_last_sign_in', float('nan')):.1f} ms): every spoke's foreign key takes FOR KEY "
              f"SHARE on the same auth.users row; concurrent audit writes for one user made "
              f"{mx.get('same_user', 0):.0f} multixacts per burst against {mx.get('distinct_users', 0):.0f} spread over "
              f"users.")
    return core.finding(SPEC, label, condition=cond, figure=fig, answer=answer,
                        attribution=("shared: not a property of the star (a relational foreign key to the user's row "
                                     "takes the same FOR KEY SHARE; not measured on relational in this run)"),
                        figures=["fig-integrity-lock-wait", "fig-integrity-multixact-burst",
                                 "fig-concurrency-locks-throughput"])
