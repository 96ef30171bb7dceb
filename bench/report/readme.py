"""The README's generated block (the findings, quoted from the findings record of the committed
reference run) and docs/figures.md's figure index (from the figures themselves). `render` of the
reference rewrites both; a test fails when they and the run disagree."""
from __future__ import annotations

import math
import re
from pathlib import Path

from bench import config
from bench.report import claims, figindex
from bench.report.claims import core, text

FINDINGS = ("<!-- findings:start -->", "<!-- findings:end -->")
FIGURES = (figindex.START, figindex.END)
FIGURES_DOC = Path("docs") / "figures.md"


def short_figure(f: dict) -> str:
    """The headline number alone ('3.13x [2.55-3.85] slower', '138 of 412'), as the record has it."""
    fig = f.get("figure") or {}
    if not fig:
        return ""
    if fig["unit"] == "x":
        lo, hi = fig.get("lo"), fig.get("hi")
        body = f"{fig['value']:.2f}x" + (f" [{lo:.2f}-{hi:.2f}]" if isinstance(lo, float) and math.isfinite(lo) else "")
        return body + (f" {fig['call']}" if fig.get("call") else "")
    return f"{fig['value']:,.0f} {fig['unit']}"


def label(f: dict) -> str:
    """The label without its condition, capitalised: the README's verdict cell."""
    lab = f["label"]
    return {core.REAL_WHEN: "The cost is real only when", core.NOT_MEASURED: "Not measured"}.get(lab, lab[0].upper() + lab[1:])


def findings(run, rec: dict | None = None) -> str:
    rec = rec or claims.record(run)
    fs = rec["findings"]
    lines = [f"Reference run `{rec['run']}`, PostgreSQL {rec['postgresql']}, scales {rec['scale']}.", "",
             "| the memo says | verdict | headline figure (95 % interval) |",
             "|---|---|---|"]
    for f in fs:
        fig = f.get("figure") or {}
        what = fig.get("what", "")
        what = "" if fig.get("unit") == "x" or len(what.split()) > 4 else re.split(r", | \(", what)[0]
        lines.append(f"| [{f['quote']}](reports/00-verdicts.html#{text.anchor(f['key'])}) | **{label(f)}** | "
                     f"{short_figure(f)}" + (f" ({what})" if what else "") + " |")
    todo = list({f["advice"].split(" (")[0]: f for f in fs if f.get("advice")}.values())
    if todo:
        lines += ["", "What to do instead: " + "; ".join(f["advice"].split(" (")[0].rstrip(".") for f in todo) + "."]
    return "\n".join(line.replace("\n", " ") for line in lines)


def figures_doc(figures: Path | None = None) -> str:
    body = figindex.table(figindex.read(figures)).replace("](reports/", "](../reports/")
    return ("# Figures\n\n[README](../README.md)\n\nEvery figure in `reports/figures/`, indexed from the figures "
            "themselves (`python -m bench render` rewrites this table; a test fails if it and the figures disagree). "
            "Each has a stable id and an anchor on its page. The files are rewritten whenever the reference is "
            "re-made, so cite a figure at a commit (its path in the repository at that commit, with the CSV "
            "beside it); its footer names the run, server, scale and surface it was drawn from.\n\n" f"{FIGURES[0]}\n{body}\n{FIGURES[1]}\n")


def replace_block(text_: str, markers: tuple[str, str], block: str) -> str:
    start, end = markers
    if start not in text_:
        raise ValueError(f"no {start} marker")
    return re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _: f"{start}\n{block}\n{end}", text_, flags=re.S)


def expected(text_: str, run, figures: Path | None = None, rec: dict | None = None) -> str:
    return replace_block(text_, FINDINGS, findings(run, rec))


def update(run, readme: Path | None = None, figures: Path | None = None, rec: dict | None = None) -> bool:
    """Rewrite the README's findings from `run` (its findings record) and docs/figures.md from the
    figures; True if either changed."""
    readme = Path(readme or config.REPO / "README.md")
    doc = readme.parent / FIGURES_DOC
    changed = False
    for path, new in ((readme, expected(readme.read_text(), run, figures, rec)), (doc, figures_doc(figures))):
        if not path.exists() or path.read_text() != new:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(new)
            changed = True
    return changed
