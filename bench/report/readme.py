"""The README's generated blocks: the findings (quoted from the findings record of the committed
reference run) and the figure index (from the figures themselves). `render` of the reference
rewrites them; a test fails when the README and the run disagree."""
from __future__ import annotations

import re
from pathlib import Path

from bench import config
from bench.report import claims, figindex
from bench.report.claims import text

FINDINGS = ("<!-- findings:start -->", "<!-- findings:end -->")
FIGURES = (figindex.START, figindex.END)


def findings(run, rec: dict | None = None) -> str:
    rec = rec or claims.record(run)
    fs = rec["findings"]
    lines = [f"From the committed reference run `{rec['run']}` (scales {rec['scale']}, PostgreSQL {rec['postgresql']}, "
             f"{rec['cores']} cores). {text.counts(fs)} Each label follows from its claim's rule "
             "(`bench/report/claims/`, CLAIMS.md); latency verdicts are median statements. Each answer, with its "
             "evidence: [`reports/00-verdicts.html`](reports/00-verdicts.html).", "",
             "| the memo says | verdict | headline figure | attribution |", "|---|---|---|---|"]
    for f in fs:
        lines.append(f"| [{f['quote']}](reports/00-verdicts.html#{text.anchor(f['key'])}) | **{text.words(f)}** | "
                     f"{f['figure_text']} | {f['attribution']} |".replace("\n", " "))
    return "\n".join(lines)


def replace_block(text_: str, markers: tuple[str, str], block: str) -> str:
    start, end = markers
    if start not in text_:
        raise ValueError(f"the README has no {start} marker")
    return re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _: f"{start}\n{block}\n{end}", text_, flags=re.S)


def expected(text_: str, run, figures: Path | None = None, rec: dict | None = None) -> str:
    text_ = replace_block(text_, FINDINGS, findings(run, rec))
    return replace_block(text_, FIGURES, figindex.table(figindex.read(figures)))


def update(run, readme: Path | None = None, figures: Path | None = None, rec: dict | None = None) -> bool:
    """Rewrite both blocks from `run` (its findings record) and the figures; True if the README changed."""
    readme = Path(readme or config.REPO / "README.md")
    old = readme.read_text()
    new = expected(old, run, figures, rec)
    if new != old:
        readme.write_text(new)
    return new != old
