"""The front page's Promise.all answer, read from a claim's answer text as the findings record
holds it: which round trips call Promise.all slower, and from which one on none does."""
import re

from bench.report import answers

ANSWER = ("Promise.all against one request (scale m): called faster nowhere; slower direct, psycopg: light users at "
          "RTT 0, 0.5 ms; through PostgREST: median users at RTT 0, 0.5, 2 ms; equivalent direct, node-postgres: light "
          "users at RTT 2 ms; through PostgREST: light users at RTT 40 ms; undecided through PostgREST: light users at "
          "RTT 10 ms. Headline: star_parallel / rpc_bundle, median latency: 1.20x [1.09-1.32] slower.")


def finding(answer: str) -> dict:
    return {"key": "parallel", "quote": "Parallel fetching", "label": "wrong", "condition": "",
            "figure_text": "star_parallel / rpc_bundle, median latency: 1.20x [1.09-1.32] slower", "answer": answer}


def said(answer: str) -> str:
    return re.sub(r"<[^>]+>", "", answers.parallel({"parallel": finding(answer)}, "00-verdicts.html"))


def test_the_calls_are_read_per_rtt():
    calls = answers.rtts_by_call(ANSWER)
    assert calls["slower"] == {0.0, 0.5, 2.0} and calls["equivalent"] == {2.0, 40.0} and calls["undecided"] == {10.0}
    assert answers.stops_mattering(calls) == 10.0


def test_after_the_round_trip_it_stops_mattering_only_larger_ones_are_listed():
    text = said(ANSWER)
    assert "called slower than one request at 0 ms (same host), 0.5 ms (same zone), 2 ms (same region" in text
    after = text.split("From 10 ms (a nearby region) on", 1)[1].split(".")[0]
    assert "equivalent at 40 ms" in after and "undecided at 10 ms" in after
    assert " 2 " not in after and "2 ms" not in after  # 2 ms is called slower: it cannot appear as equivalent after 10


def test_slower_up_to_the_largest_rtt_says_so():
    text = said(ANSWER.replace("RTT 0, 0.5, 2 ms", "RTT 0, 0.5, 2, 40 ms"))
    assert "stays slower up to the largest round trip measured" in text and "From " not in text
