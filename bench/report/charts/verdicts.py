"""The memo's Pattern Comparison table drawn again, with the measured verdict per row."""
from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import pandas as pd

from bench.report import palette, verdicts

VERDICT_COLOURS = {verdicts.HOLDS: palette.colour("right"), verdicts.ONLY_WHEN: palette.colour("only"),
                   verdicts.DOES_NOT_HOLD: palette.colour("wrong"), verdicts.NOT_COVERED: palette.colour("unmeasured")}


def comparison(v: pd.DataFrame):
    """One row per aspect: the memo's star and relational entries, then the measured verdict."""
    by_row = {r.row: r for r in v.itertuples() if r.row}
    rows, colours = [], []
    for aspect, (star, rel, rec) in verdicts.MEMO_TABLE.items():
        r = by_row.get(aspect)
        verdict = r.verdict if r is not None else verdicts.NOT_COVERED
        short = r.answer.split(". ")[0].rstrip(".") if r is not None else ""
        plain = lambda t: t.encode("ascii", "ignore").decode().strip()  # noqa: E731  (no emoji glyphs in the font)
        rows.append([aspect, plain(star), plain(rel), verdict,
                     "\n".join(textwrap.wrap(textwrap.shorten(short, 330, placeholder=" ..."), 90))])
        colours.append(["white", "white", "white", VERDICT_COLOURS[verdict], "white"])
    fig, ax = plt.subplots(figsize=(13, 0.85 * len(rows) + 1.0))
    ax.axis("off")
    table = ax.table(cellText=rows, cellColours=colours, loc="center", cellLoc="left",
                     colLabels=["aspect", "memo: star", "memo: relational", "measured verdict", "measured answer"],
                     colWidths=[0.13, 0.12, 0.14, 0.12, 0.49])
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    table.scale(1, 3.2)
    ax.set_title("The memo's Pattern Comparison, measured (verdicts computed from this run)")
    counts = pd.Series([r[3] for r in rows]).value_counts()
    sentence = ("Of the memo's six comparison rows: " + ", ".join(f"{n} {k}" for k, n in counts.items()) + ".")
    return fig, sentence
