"""Verdicts come from the run: each claim whose experiment ran gets a measured verdict, each
cites figures that the notebooks really save, and a claim without its experiment says so."""
import re

import pytest

from bench.report import figindex, verdicts
from bench.results import store as results

pytestmark = [pytest.mark.db, pytest.mark.slow]


def test_every_covered_claim_has_a_measured_verdict_and_real_evidence(xs_quick_run):
    run = results.load(xs_quick_run)
    v = verdicts.evaluate(run).set_index("claim")
    saved = set(figindex.saved_in_notebooks())
    for claim in verdicts.CLAIMS:
        row = v.loc[claim.key]
        if claim.needs and all(run.has(n) for n in claim.needs):
            assert row.verdict in (verdicts.HOLDS, verdicts.ONLY_WHEN, verdicts.DOES_NOT_HOLD), claim.key
            assert row.figures and set(row.figures) <= saved, (claim.key, row.figures)
            assert re.search(r"\d", row.answer), claim.key  # a measured figure, not prose
        else:
            assert row.verdict == verdicts.NOT_COVERED and not row.figures, claim.key
    assert set(verdicts.MEMO_TABLE) == {c.row for c in verdicts.CLAIMS if c.row}
