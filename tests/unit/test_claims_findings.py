"""The findings record: written once by rendering, quoted by the README, the front page and 00."""
import json

from bench.report import claims, front
from bench.report.claims import core, text


def test_the_record_has_fourteen_verdicts_with_labels_from_the_vocabulary(reference_record):
    fs = reference_record["findings"]
    assert [f["key"] for f in fs] == [s.key for s in claims.SPECS]
    for f in fs:
        spec = next(s for s in claims.SPECS if s.key == f["key"])
        assert f["label"] in (*spec.labels, core.NOT_MEASURED), f["key"]
        assert f["rule"] == spec.rule and f["attribution"], f["key"]
        assert f["label"] == core.NOT_MEASURED or f["figure_text"], f["key"]
        if f["label"] in core.CONDITIONAL:
            assert f["condition"], f["key"]
    json.dumps(reference_record, default=float)


def test_injected_fault_counts_say_can_happen(reference_record):
    by = {f["key"]: f for f in reference_record["findings"]}
    for key in ("app_consistency", "orphans", "integrity"):
        assert "can happen" in by[key]["answer"] + by[key]["figure_text"], key


def test_the_front_page_quotes_the_record_it_wrote(tmp_path, reference_record):
    path = claims.write(tmp_path, reference_record)
    fs = claims.findings(path)
    html = front.front_page(None, {}, "now", rec=reference_record)  # no run: no claims section
    assert "measured" not in html
    assert text.words(fs[0]) in text.table_html(fs)
    assert text.counts(fs).startswith("Of the memo's 10 claimed advantages")
