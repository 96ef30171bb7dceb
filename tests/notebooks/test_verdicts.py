"""The findings come from the run: each claim whose experiment ran gets a label of its rule's
vocabulary and cites figures the notebooks really save; a claim without its experiment says so."""
import re

import pytest

from bench.report import claims, figindex
from bench.report.claims import core
from bench.results import store as results

pytestmark = [pytest.mark.db, pytest.mark.slow]


def test_every_covered_claim_has_a_label_of_its_rule_and_real_evidence(xs_quick_run):
    run = results.load(xs_quick_run)
    found = {f["key"]: f for f in claims.findings(claims.record(run))}
    saved = set(figindex.saved_in_notebooks())
    for spec in claims.SPECS:
        f = found[spec.key]
        if all(run.has(n) for n in spec.needs):
            assert f["label"] in spec.labels, spec.key
            assert f["figures"] and set(f["figures"]) <= saved, (spec.key, f["figures"])
            assert re.search(r"\d", f["answer"]), spec.key  # a measured figure, not prose
        else:
            assert f["label"] == core.NOT_MEASURED and not f["figures"], spec.key
    assert set(claims.MEMO_TABLE) == {s.row for s in claims.SPECS if s.row}
