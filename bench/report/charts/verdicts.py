"""The memo's Pattern Comparison table drawn again, with the verdict per row, quoted from the
findings record."""
from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import pandas as pd

from bench.report import palette
from bench.report.claims import MEMO_TABLE, core
from bench.report.claims import text as words

COLOURS = {core.RIGHT: palette.colour("right"), core.REAL: palette.colour("right"),
           core.RIGHT_WHEN: palette.colour("only"), core.REAL_WHEN: palette.colour("only"),
           core.WRONG: palette.colour("wrong"), core.ABSENT: palette.colour("wrong"),
           core.UNDECIDED: palette.colour("tie"), core.NOT_MEASURED: palette.colour("unmeasured")}


def comparison(fs: list[dict]):
    """One row per aspect: the memo's star and relational entries, the verdict, its headline figure."""
    by_row = {f["row"]: f for f in fs if f["row"]}
    rows, colours = [], []
    plain = lambda t: t.encode("ascii", "ignore").decode().strip()  # noqa: E731  (no emoji glyphs in the font)
    for aspect, (star, rel, _rec) in MEMO_TABLE.items():
        f = by_row.get(aspect)
        label = f["label"] if f else core.NOT_MEASURED
        verdict = "\n".join(textwrap.wrap(textwrap.shorten(words.words(f), 120, placeholder=" ..."), 26)) if f else label
        fig = f["figure_text"] if f else ""
        rows.append([aspect, plain(star), plain(rel), verdict,
                     "\n".join(textwrap.wrap(textwrap.shorten(fig, 300, placeholder=" ..."), 80))])
        colours.append(["white", "white", "white", COLOURS[label], "white"])
    fig, ax = plt.subplots(figsize=(13, 0.95 * len(rows) + 1.0))
    ax.axis("off")
    table = ax.table(cellText=rows, cellColours=colours, loc="center", cellLoc="left",
                     colLabels=["aspect", "memo: star", "memo: relational", "verdict", "headline figure"],
                     colWidths=[0.13, 0.12, 0.14, 0.19, 0.42])
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    table.scale(1, 3.6)
    counts = pd.Series([by_row[a]["label"] if a in by_row else core.NOT_MEASURED for a in MEMO_TABLE]).value_counts()
    ax.set_title("The memo's Pattern Comparison, measured: " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    sentence = "Of the memo's six comparison rows: " + ", ".join(f"{n} {k}" for k, n in counts.items()) + "."
    return fig, sentence
