"""The README's generated blocks: the findings (from the verdicts of the committed reference run)
and the figure index (from the figures themselves). `render` of the reference rewrites them; a
test fails when the README and the run disagree."""
from __future__ import annotations

import re
from pathlib import Path

from bench import config
from bench.report import figindex, verdicts

FINDINGS = ("<!-- findings:start -->", "<!-- findings:end -->")
FIGURES = (figindex.START, figindex.END)


def findings(run) -> str:
    v = verdicts.evaluate(run)
    adv = v[~v["where"].str.contains("Disadvantage")]
    counts = adv.verdict.value_counts()
    lines = [f"From the committed reference run `{run.id}` (scales {run.meta.get('scale')}, PostgreSQL "
             f"{run.meta.get('versions', {}).get('postgresql', '?')}, {run.meta.get('machine', {}).get('cores', '?')} "
             f"cores). Of the memo's {len(adv)} claimed advantages, {counts.get(verdicts.HOLDS, 0)} hold, "
             f"{counts.get(verdicts.ONLY_WHEN, 0)} hold only under a condition, "
             f"{counts.get(verdicts.DOES_NOT_HOLD, 0)} do not"
             + (f" and {counts.get(verdicts.NOT_COVERED, 0)} are not measured" if counts.get(verdicts.NOT_COVERED, 0)
                else "") + ". Each answer, with its evidence: "
             "[`reports/00-verdicts.html`](reports/00-verdicts.html).", "",
             "| the memo says | measured verdict | what the run measured |", "|---|---|---|"]
    for r in v.itertuples():
        words, _ = verdicts.reader_verdict(r.verdict, r.where, r.flips)
        anchor = verdicts.claim_anchor(r.claim)
        lines.append(f"| [{r.quote}](reports/00-verdicts.html#{anchor}) | **{words}** | {r.answer.replace('|', '/')} |")
    return "\n".join(lines)


def replace_block(text: str, markers: tuple[str, str], block: str) -> str:
    start, end = markers
    if start not in text:
        raise ValueError(f"the README has no {start} marker")
    return re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _: f"{start}\n{block}\n{end}", text, flags=re.S)


def expected(text: str, run, figures: Path | None = None) -> str:
    text = replace_block(text, FINDINGS, findings(run))
    return replace_block(text, FIGURES, figindex.table(figindex.read(figures)))


def update(run, readme: Path | None = None, figures: Path | None = None) -> bool:
    """Rewrite both blocks from `run` and the figures; True if the README changed."""
    readme = Path(readme or config.REPO / "README.md")
    text = readme.read_text()
    new = expected(text, run, figures)
    if new != text:
        readme.write_text(new)
    return new != text
