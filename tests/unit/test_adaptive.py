"""A block keeps repeating while a comparison in it is undecided: the rule that says which."""
import numpy as np

from bench.experiments import adaptive


def _rows(factors: dict[str, list[float]], twin: str = "join_json") -> list[dict]:
    """Per-repetition latency factors over the twin (1.0 each repetition) for each strategy."""
    rows = []
    for rep in range(len(next(iter(factors.values())))):
        for i in range(5):
            rows.append({"record": "request", "strategy": twin, "rep": rep, "latency_us": 100.0 + i})
            rows.append({"record": "sham", "strategy": twin, "rep": rep, "latency_us": 100.5 + i})
            for s, f in factors.items():
                rows.append({"record": "request", "strategy": s, "rep": rep, "latency_us": (100.0 + i) * f[rep]})
    return rows


def test_a_decided_block_stops_and_a_straddling_one_goes_on():
    clear = {"star_sequential": [2.0, 2.1, 1.9, 2.0, 2.05]}  # slower, decided
    assert adaptive.undecided(_rows(clear)) == []
    noisy = {"star_parallel": [0.8, 1.3, 0.9, 1.25, 1.1]}  # the interval straddles the 10 % margin
    assert adaptive.undecided(_rows(noisy)) == ["star_parallel"]


def test_a_sham_that_drifts_from_its_twin_is_named():
    rows = _rows({"star_sequential": [2.0] * 5})
    rng = np.random.default_rng(3)
    for r in rows:
        if r["record"] == "sham":
            r["latency_us"] *= 1 + rng.choice([-0.3, 0.3]) * (r["rep"] % 2)
    assert "sham" in adaptive.undecided(rows)


def test_a_block_without_a_sham_is_never_held_back():
    rows = [r for r in _rows({"star_sequential": [0.9, 1.3, 1.0, 1.2, 1.1]}) if r["record"] != "sham"]
    assert adaptive.undecided(rows) == []
