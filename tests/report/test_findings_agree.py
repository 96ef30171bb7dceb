"""One number per claim (issue 29): the committed README, front page, 00 and each claim's
experiment page quote the same headline figure and label as the findings record
(reports/findings.json), and no page labels a claim outside CLAIMS.md rule 4's vocabulary.

Read as a reader sees them: the visible text of the rendered HTML (scripts, styles and the head
dropped), the README as committed. Nothing is rendered here."""
import re
from html.parser import HTMLParser

import pytest

from bench import config
from bench.report import claims, readme
from bench.report.claims import text

REPORTS = config.REPORTS
RECORD = REPORTS / claims.FILENAME
EXPERIMENT_PAGES = ("02-read-paths", "03-concurrency", "04-integrity", "05-rls", "07-cross-service",
                    "08-evolution-caching", "09-servers")

# Label words outside the one vocabulary (right, right only when, wrong, undecided; the cost is
# real, real only when, the cost does not appear): a claim "holds", "does not hold", is a "tie".
FORBIDDEN = (r"\bdoes(?: not|n't) hold\b", r"\bholds? only (?:when|on|if)\b", r"\bholds? partly\b",
             r"\b(?:claim|memo|verdict|finding)s? (?:that |still |partly )?holds\b",
             r"\btie[sd]?\b(?! is no win)",
             r"\bpartly (?:right|wrong|true)\b", r"\binconclusive\b")


class _Visible(HTMLParser):
    HIDDEN = {"script", "style", "head", "title", "template"}
    BLOCK = {"p", "div", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "br", "pre", "section", "table", "ul"}

    def __init__(self):
        super().__init__()
        self.hidden, self.parts = 0, []

    def handle_starttag(self, tag, attrs):
        self.hidden += tag in self.HIDDEN
        if tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        self.hidden -= tag in self.HIDDEN and self.hidden > 0
        if tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible(html_text: str) -> str:
    p = _Visible()
    p.feed(html_text)
    return re.sub(r"[ \t\r\f\v]+", " ", "".join(p.parts))


def page_text(stem: str) -> str:
    path = REPORTS / f"{stem}.html"
    if not path.exists():
        pytest.skip(f"{path} is not rendered")
    return visible(path.read_text())


@pytest.fixture(scope="module")
def fs():
    return claims.findings(RECORD)


def readme_block() -> str:
    t = (config.REPO / "README.md").read_text()
    start, end = readme.FINDINGS
    return t.split(start, 1)[1].split(end, 1)[0]


def _row(block: str, f: dict) -> str:
    return next((line for line in block.splitlines() if f"#{text.anchor(f['key'])})" in line), "")


def other_figures(page: str, f: dict) -> list[str]:
    """Every figure this page states for f's headline comparison ('<what>: <number>') that is not
    the record's."""
    fig = f.get("figure") or {}
    if not fig.get("what"):
        return []
    want = readme.short_figure(f)
    found = re.findall(re.escape(fig["what"]) + r": (\d[^()\n]*?)(?= \(|\.(?:\s|$)|;|\n|$)", page)
    return [x for x in found if x.strip() != want]


def test_the_readme_quotes_each_claims_label_and_figure(fs):
    block = readme_block()
    for f in fs:
        row = _row(block, f)
        assert row, f"README: no row for {f['key']}"
        assert f"**{readme.label(f)}**" in row, f"README: {f['key']} labelled otherwise than the record: {row}"
        assert readme.short_figure(f) in row, f"README: {f['key']} figure is not the record's: {row}"


@pytest.mark.parametrize("stem", ["index", "00-verdicts"])
def test_front_page_and_00_quote_each_claims_label_and_figure(fs, stem):
    page = page_text(stem)
    for f in fs:
        assert text.words(f) in page, f"{stem}: {f['key']}'s label '{text.words(f)}' is not on the page"
        if f["figure_text"]:
            assert f["figure_text"] in page, f"{stem}: {f['key']}'s headline figure is not the record's"
        assert other_figures(page, f) == [], f"{stem}: {f['key']} also stated as {other_figures(page, f)}"


def _experiment_page(f: dict) -> str | None:
    pages = text.figure_pages()
    return next((pages[x] for x in f["figures"] if pages.get(x, "00").split("-")[0] not in ("00", "06")), None)


@pytest.mark.parametrize("key", [s.key for s in claims.SPECS])
def test_each_claims_experiment_page_quotes_the_record(fs, key):
    f = next(x for x in fs if x["key"] == key)
    stem = _experiment_page(f)
    if stem is None or not f["figure_text"]:
        pytest.skip(f"{key}: no experiment page or no headline figure")
    page = page_text(stem)
    assert other_figures(page, f) == [], f"{stem}: {key} stated as {other_figures(page, f)}, the record says " \
                                         f"{readme.short_figure(f)}"
    assert f["figure_text"] in page, f"{stem} does not quote {key}'s headline figure: {f['figure_text']}"
    assert text.words(f) in page, f"{stem} does not quote {key}'s label: {text.words(f)}"


def off_vocabulary(page: str) -> list[str]:
    page = re.sub(r"\s+", " ", page)
    return [m.group(0) for pat in FORBIDDEN for m in re.finditer(pat, page, flags=re.I)]


@pytest.mark.parametrize("stem", ["README", "index", "00-verdicts", *EXPERIMENT_PAGES])
def test_no_page_labels_a_claim_outside_the_vocabulary(stem):
    page = (config.REPO / "README.md").read_text() if stem == "README" else page_text(stem)
    assert off_vocabulary(page) == [], f"{stem}: label words outside CLAIMS.md rule 4: {off_vocabulary(page)}"


def test_the_checks_can_fail(fs):
    f = next(x for x in fs if x.get("figure") and x["figure"]["unit"] == "x")
    wrong = f"{f['figure']['what']}: 9.99x [9.00-9.99] slower (somewhere)."
    assert other_figures(wrong, f) == ["9.99x [9.00-9.99] slower"]
    assert other_figures(f"Headline: {f['figure_text']}.", f) == []
    assert off_vocabulary("The claim does not hold at RTT 0; a tie (equivalent).") == ["does not hold", "tie"]
    assert off_vocabulary("A tie is no win; the wide join holds 34 locks.") == []
    assert "<b>x</b>" not in visible("<p><b>x</b><script>y</script></p>") and "y" not in visible("<script>y</script>")
