"""Verdicts rest on what the run measured: feed synthetic tables, flip the data, the verdict flips."""
from types import SimpleNamespace

import pandas as pd

from bench.report import verdicts, verdicts_integrity
from bench.report.verdict import DOES_NOT_HOLD, HOLDS, ONLY_WHEN

QUESTIONS = ("q1", "q2")


def cross_evidence(without_over_join: dict[str, float]):
    summary, table = [], []
    for q, ratio in without_over_join.items():
        for strategy, p50 in (("join_star", 1000.0), ("join_relational", 1050.0),
                              ("services_parallel", 1000.0 * ratio * 1.5), ("services_chained", 1000.0 * ratio)):
            summary.append({"experiment": "cross_service", "condition": q, "strategy": strategy, "scale": "s",
                            "p50_us": p50})
            table += [{"scale": "s", "record": "bytes", "condition": q, "strategy": strategy, "bytes": 100.0,
                       "sent_bytes": 0.0},
                      {"scale": "s", "record": "memory", "condition": q, "strategy": strategy, "peak_bytes": 10.0}]
    t = pd.DataFrame(table)
    return SimpleNamespace(summary=pd.DataFrame(summary), table=lambda name: t)


def test_business_queries_need_joins_only_where_doing_without_costs_more():
    assert verdicts._business_queries(cross_evidence({"q1": 3.0, "q2": 2.0})).verdict == HOLDS
    assert verdicts._business_queries(cross_evidence({"q1": 3.0, "q2": 1.0})).verdict == ONLY_WHEN
    assert verdicts._business_queries(cross_evidence({"q1": 1.05, "q2": 0.9})).verdict == DOES_NOT_HOLD


def integrity_evidence(left_by_memo: int, dangling: int):
    rows = []
    for strategy in ("three_requests", "transaction"):
        n = left_by_memo if strategy == "three_requests" else 0
        rows += [{"scale": "s", "record": "census", "strategy": strategy, "class": "inconsistent", "users": n,
                  "signups": 100, "faulty": 30},
                 {"scale": "s", "record": "census", "strategy": strategy, "class": "role_without_profile",
                  "users": n, "signups": 100, "faulty": 30}]
    rows += [{"scale": "s", "record": "soft_refs", "strategy": "soft_reference", "dangling": dangling,
              "sessions_deleted": 50},
             {"scale": "s", "record": "soft_refs", "strategy": "fk_set_null", "dangling": 0, "sessions_deleted": 50},
             {"scale": "s", "record": "probe", "variant": "star", "class": "role_without_profile",
              "verdict": "possible"}]
    t = pd.DataFrame(rows)
    return SimpleNamespace(table=lambda name: t)


def test_orphaning_rests_on_what_the_flows_left():
    assert verdicts_integrity.orphans(integrity_evidence(5, 0)).verdict == HOLDS
    assert verdicts_integrity.orphans(integrity_evidence(0, 7)).verdict == HOLDS
    assert verdicts_integrity.orphans(integrity_evidence(0, 0)).verdict == DOES_NOT_HOLD


def test_reader_words_say_right_or_wrong_also_for_disadvantages():
    assert verdicts.reader_verdict(HOLDS, "Advantages 1")[0] == "The memo is right"
    assert verdicts.reader_verdict(HOLDS, "Disadvantages 4")[0] == "The memo is right: the cost is real"
    assert verdicts.reader_verdict(DOES_NOT_HOLD, "Disadvantages 4")[0] == "The memo is wrong: the cost does not appear"
    words, _ = verdicts.reader_verdict(ONLY_WHEN, "Advantages 2", "user_id is indexed.")
    assert words == "Right only when: user_id is indexed" and "..." not in words


def fanout_evidence(flat_bytes: float, json_bytes: float, flat_ms: float, json_ms: float):
    rows = [{"record": "bytes", "bundle": "account", "scale": scale, "strategy": strategy, "bytes": value * k}
            for scale, k in (("s", 0.5), ("m", 1.0))  # scales are not pooled: s alone would say otherwise
            for strategy, value in (("star_sequential", 1000.0), ("join_flat", flat_bytes), ("join_json", json_bytes))
            for _ in range(3)]
    rows += [{"record": "bytes", "bundle": "account", "scale": "s", "strategy": "join_json", "bytes": 9e9}]
    t = pd.DataFrame(rows)
    p50 = pd.DataFrame([{"star_sequential": 1.0, "join_flat": flat_ms, "join_json": json_ms, "star_parallel": 1.5}],
                       index=[0.0])
    return SimpleNamespace(table=lambda name: t, p50=p50)


def test_no_complex_joins_flips_with_what_the_joins_cost():
    assert verdicts._fanout(fanout_evidence(2000.0, 1300.0, 1.2, 1.1)).verdict == HOLDS
    assert verdicts._fanout(fanout_evidence(2000.0, 1300.0, 1.2, 0.8)).verdict == ONLY_WHEN  # json_agg is faster
    assert verdicts._fanout(fanout_evidence(1050.0, 1000.0, 1.2, 1.2)).verdict == DOES_NOT_HOLD  # no more bytes
