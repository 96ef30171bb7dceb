"""Answers to "Schema evolution made easy" and "Better caching (each table cached independently)"
from the `evolution` and `caching` tables of a run, each a Verdict."""
from __future__ import annotations

import numpy as np

from bench.report import evolution_cells as cells
from bench.report.verdict import DOES_NOT_HOLD, HOLDS, NOT_COVERED, ONLY_WHEN, Verdict

EVOLUTION_FIGURES = ["fig-evolution-recipe-wait", "fig-evolution-recipe-timeline", "fig-evolution-spoke-changes"]
CACHING_FIGURES = ["fig-caching-latency-cache", "fig-caching-buffers-strategy"]


def cold_reads(ev, a: str, against: tuple[str, ...], margin: float) -> tuple[str | None, str]:
    """The read-path claim's cold condition, from the caching table: (call or None, sentence)."""
    if "caching" not in ev.run.meta.get("tables", {}):
        return None, " No cold-cache cells in this run."
    t = ev.table("caching")
    ok, why = cells.proven_cold(t)
    got = cells.cold_call(t, a, against, margin) if ok else None
    if got is None:
        return None, f" Cold cache: not called ({why if not ok else 'no cold cells for these strategies'})."
    call, ratio, b = got
    scale = cells.records(t, "buffers").scale.iloc[0]
    return call, (f" Cold (the caching experiment: relations evicted from shared buffers and the OS page cache before "
                  f"each request, scale {scale}, psycopg): {a} takes {ratio:.2f}x {b}'s median, {call}.")


def _ms(us: float) -> str:
    return "n/a" if np.isnan(us) else (f"{us / 1000:.1f} ms" if us < 1e6 else f"{us / 1e6:.2f} s")


def _hub_writes(table, change: str, condition: str) -> tuple[int, float]:
    """Requests delayed and the worst wait among the kinds that write the referenced table."""
    kinds = ["signup", "sign_in"] if change == "recipe_star" else ["signup", "profile_update"]
    late, worst = cells.delayed(table, change, condition), cells.worst(table, change, condition)
    return int(late[kinds].fillna(0).sum()), float(np.nanmax(worst[kinds].to_numpy(dtype=float)))


def evolution(ev) -> Verdict:
    t = ev.table("evolution")
    rel, mode = cells.strongest_lock(t, "recipe_star")
    idle_late, idle_worst = _hub_writes(t, "recipe_star", "no_long_txn")
    held_late, held_worst = _hub_writes(t, "recipe_star", "long_txn")
    lt_late, lt_worst = _hub_writes(t, "recipe_star", "long_txn_lock_timeout")
    r_late, r_worst = _hub_writes(t, "recipe_relational", "long_txn")
    hold = cells.records(t, "change")
    hold_s = float(hold[(hold.change == "recipe_star") & (hold.condition == "long_txn")].held_s.median())
    lo, hi, reps = cells.worst_range(t, "recipe_star", "long_txn", ["signup", "sign_in"])
    spoke = cells.spoke_summary(t)
    blocking = spoke[spoke.stalled_kinds.map(len) > 0]
    safe = spoke[spoke.stalled_kinds.map(len) == 0]
    answer = (f"The memo's CREATE TABLE user_preferences (... REFERENCES auth.users) takes {mode} on {rel} and "
              f"took {_ms(cells.duration_us(t, 'recipe_star'))} on a quiet hub (worst signup or sign-in "
              f"{_ms(idle_worst)}). With one transaction holding a write on auth.users for {hold_s:.1f} s, the DDL "
              f"waited for it and every signup and sign-in queued behind the DDL: {held_late} delayed, the worst "
              f"{_ms(held_worst)} (the worst per repetition {_ms(lo)} to {_ms(hi)} over {reps}); with lock_timeout and a retry loop {lt_late} were delayed, the worst {_ms(lt_worst)}. "
              f"The relational variant's new table (REFERENCES profiles) queues signups and profile edits the same way "
              f"({r_late} delayed, worst {_ms(r_worst)}). On the loaded spoke, "
              + (", ".join(f"{r.change} ({r.mode}, {_ms(r.duration_us)})" for r in blocking.itertuples())
                 or "no change") + f" stalled the application's writes or reads (a request over "
              f"{_ms(cells.STALL_US)}); " + (", ".join(safe.change) or "none") + " did not."
              + _failures(t))
    if idle_worst > cells.STALL_US:
        key = DOES_NOT_HOLD
    elif held_worst > cells.STALL_US:
        key = ONLY_WHEN
    else:
        key = HOLDS
    flips = (f"easy only while no transaction holds a write on the referenced table: then the recipe delayed "
             f"{held_late} hub writes (worst {_ms(held_worst)}); the safe recipe the run supports is lock_timeout "
             f"with retries (worst {_ms(lt_worst)}), CREATE INDEX CONCURRENTLY and foreign keys NOT VALID then VALIDATE")
    return Verdict(answer, key, flips, EVOLUTION_FIGURES)


def _failures(t) -> str:
    d = cells.impact(t)
    bad = d[d.errors > 0]
    if bad.empty:
        return ""
    return " Requests failed during " + "; ".join(
        f"{r.change}: {int(r.errors)} {r.kind} ({r.error_codes})" for r in bad.itertuples()) + "."


def caching(ev) -> Verdict:
    t = ev.table("caching")
    ok, why = cells.proven_cold(t)
    if not ok:
        return Verdict(f"The cold cells of this run did not prove they were cold ({why}); no answer rests on them.",
                       NOT_COVERED)
    scale = cells.records(t, "buffers").scale.iloc[0]
    b = cells.buffers(t).set_index(["cache", "strategy"])
    m = cells.cache_medians(t).set_index(["cache", "strategy"])
    touched = (b.shared_hit_per_request + b.shared_read_per_request)
    star_pages = float(touched.loc[("cold", "star_sequential")])
    join_pages = float(touched.loc[("cold", "join_json")])
    par, join = m.loc[("cold", "star_parallel")], m.loc[("cold", "join_json")]
    seq = m.loc[("cold", "star_sequential")]
    warm_join = m.loc[("warm", "join_json")]
    parallel_wins = par.hi_us < join.lo_us
    join_wins = join.hi_us < par.lo_us
    fewer_pages = star_pages < 0.9 * join_pages
    answer = (f"Cold (the bundle's relations evicted from shared buffers and the OS page cache before every request, "
              f"proved by {b.loc[('cold', 'join_json')].shared_read_per_request:.0f} shared blocks read per bundle), "
              f"scale {scale}, users drawn uniformly from the population: the star's three queries touch "
              f"{star_pages:.0f} shared buffers per bundle, the PostgREST-shaped JOIN {join_pages:.0f}: the same pages, "
              f"cached the same way. Median cold latency: star_parallel {_ms(par.p50_us)}, star_sequential "
              f"{_ms(seq.p50_us)}, JOIN {_ms(join.p50_us)} (warm JOIN {_ms(warm_join.p50_us)}); parallel fetching, "
              f"three overlapping I/O waits, is "
              + ("faster than" if parallel_wins else "slower than" if join_wins else "a tie with")
              + " the JOIN on disk.")
    key = HOLDS if fewer_pages else (ONLY_WHEN if parallel_wins else DOES_NOT_HOLD)
    flips = ("the star would gain only where its queries touch fewer pages than the join "
             f"({star_pages:.0f} against {join_pages:.0f} here) or where overlapping cold reads beat one statement "
             + ("(they did here)" if parallel_wins else "(they did not here)")
             + "; " + _small_buffers(b, m))
    return Verdict(answer, key, flips, CACHING_FIGURES)


def _small_buffers(b, m) -> str:
    """The tagged pass with shared_buffers far below the working set, in a clause."""
    if "small_buffers" not in set(m.index.get_level_values("cache")):
        return "no cell with shared_buffers smaller than the working set in this run"
    hit = b.loc["small_buffers"].shared_hit_per_request
    read = b.loc["small_buffers"].shared_read_per_request
    ratio = hit / (hit + read)
    par, join = m.loc[("small_buffers", "star_parallel")], m.loc[("small_buffers", "join_json")]
    return (f"with shared_buffers below the working set (tagged cells) the shared hit ratio per bundle was "
            f"{ratio.min():.0%} to {ratio.max():.0%} across strategies and star_parallel took "
            f"{par.p50_us / join.p50_us:.2f}x the JOIN's median ({'a tie' if cells.tie(par, join) else 'apart'})")
