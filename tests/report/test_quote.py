"""An experiment page's quote of a claim (bench/report/claims/quote.py): the record's label words and
headline figure as a reader sees them, the link to the claim on 00, the same entries the findings
record holds, and on the committed pages each quote where the claim's chart is."""
import re

import pytest
from nbconvert.filters.markdown_mistune import markdown2html_mistune
from test_findings_agree import RECORD, REPORTS, _experiment_page, visible

from bench import config
from bench.report import claims
from bench.report.claims import core, oauth, quote, rls, text
from bench.results import store as results


@pytest.fixture(scope="module")
def fs():
    return claims.findings(RECORD)


def test_the_quote_shows_the_records_words_figure_and_link(fs):
    for f in fs:
        md = quote.markdown(fs, f["key"])
        seen = visible(markdown2html_mistune(md))  # as nbconvert renders a Markdown output
        assert text.words(f) in seen and f["figure_text"] in seen, f["key"]
        assert f'(00-verdicts.html#{text.anchor(f["key"])})' in md
    assert quote.markdown({"findings": fs}, "rls") == quote.markdown(fs, "rls")


def test_a_claim_without_a_figure_says_so():
    f = core.unmeasured(rls.SPEC, ["rls"]).record()
    md = quote.markdown([f], "rls")
    assert "Not measured by this run" in md and "No headline figure" in md


def test_a_page_evaluates_its_claims_as_the_record_does(monkeypatch):
    run = results.load(config.REFERENCE)
    mine = quote.findings(run, "oauth", "rls")
    monkeypatch.setattr(claims, "MODULES", (rls, oauth))  # the record's own path, for these two claims
    assert mine == claims.record(run)["findings"]
    with pytest.raises(KeyError, match="no claim nonsense"):
        quote.findings(run, "nonsense")


QUOTE = re.compile(r'<section class="answer claim-quote">.*?href="00-verdicts\.html#claim-([a-z-]+)"', re.S)
FIGURE = re.compile(r'<p class="fig-ref" id="(fig-[a-z0-9-]+)"')


@pytest.mark.parametrize("key", [s.key for s in claims.SPECS])
def test_each_quote_stands_at_its_claims_chart(fs, key):
    """Not in a dump at the bottom: the first figure after the quote is one of the claim's."""
    f = next(x for x in fs if x["key"] == key)
    stem = _experiment_page(f)
    path = REPORTS / f"{stem}.html"
    if stem is None or not path.exists():
        pytest.skip(f"{key}: no rendered experiment page")
    page = path.read_text()
    at = [m.end() for m in QUOTE.finditer(page) if m.group(1) == text.anchor(key).removeprefix("claim-")]
    assert len(at) == 1, f"{stem} quotes {key} {len(at)} times"
    following = FIGURE.search(page, at[0])
    assert following and following.group(1) in f["figures"], f"{stem}: {key}'s quote is not at its chart"
