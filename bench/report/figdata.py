"""What a figure plots, as a table: read back from the drawn figure itself (lines, error bars,
bars, points, heat-map cells, annotations), so the CSV beside a figure holds exactly the numbers
on it, whatever chart drew it. `publish` writes it as figures/<fig-id>.csv.

Columns: panel (the axes' title, or its number), series (the legend label), kind (line, point,
bar, cell, text), x and y (data coordinates; for bars, x/y is the bar's position and `value` its
length), x_label/y_label (the tick label at that position, on a categorical axis), value, lo/hi
(an error bar's ends), text (an annotation, or a cell's label).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.container import BarContainer, ErrorbarContainer
from matplotlib.image import AxesImage
from matplotlib.text import Annotation

COLUMNS = ["panel", "series", "kind", "x", "x_label", "y", "y_label", "value", "lo", "hi", "text"]


def _label(artist) -> str:
    text = str(artist.get_label() or "")
    return "" if text.startswith("_") else text


def _categories(ax, which: str) -> tuple[np.ndarray, list[str]] | None:
    """Tick positions and labels of a categorical axis (labels that are not numbers), else None."""
    axis = getattr(ax, f"{which}axis")
    labels = [t.get_text() for t in axis.get_ticklabels()]
    if not labels or not any(labels):
        return None

    def numeric(s: str) -> bool:
        try:
            float(s.replace("\u2212", "-").rstrip("x%").replace(",", ""))
            return True
        except ValueError:
            return not s
    if all(numeric(s) for s in labels):
        return None
    return np.asarray(axis.get_ticklocs(), dtype=float), labels


def _name(value, cats) -> str:
    if cats is None or value is None or not np.isfinite(value):
        return ""
    locs, labels = cats
    if len(locs) == 0:
        return ""
    i = int(np.argmin(np.abs(locs - value)))
    step = np.min(np.diff(np.sort(locs))) if len(locs) > 1 else 1.0
    return labels[i].replace("\n", " ") if abs(locs[i] - value) <= step / 2 + 1e-9 else ""


def _data(ax, artist) -> bool:
    """Whether an artist is drawn in data coordinates (axhline/axvline/axvspan are not)."""
    return artist.get_transform() == ax.transData


def _panel(ax, i: int) -> str:
    return ax.get_title().replace("\n", " ") or f"panel {i + 1}"


def _errorbar_rows(container) -> tuple[list[tuple[float, float, float, float]], str]:
    """(x, y, lo, hi) per point of an errorbar container and the axis its bars span ('x'/'y')."""
    line, _, cols = container.lines
    xy = np.asarray(line.get_xydata(), dtype=float) if line else np.empty((0, 2))  # categorical data as positions
    xs, ys = xy[:, 0], xy[:, 1]
    spans = [s for c in cols if isinstance(c, LineCollection) for s in c.get_segments()]
    horizontal = container.has_xerr and not container.has_yerr
    out = []
    for k, (x, y) in enumerate(zip(xs, ys)):
        seg = spans[k] if k < len(spans) else None
        if seg is None:
            out.append((x, y, np.nan, np.nan))
        else:
            ends = seg[:, 0] if horizontal else seg[:, 1]
            out.append((x, y, float(np.min(ends)), float(np.max(ends))))
    return out, "x" if horizontal else "y"


def extract(fig) -> pd.DataFrame:
    rows: list[dict] = []
    for i, ax in enumerate(fig.axes):
        panel = _panel(ax, i)
        xc, yc = _categories(ax, "x"), _categories(ax, "y")

        def row(series, kind, x=np.nan, y=np.nan, **more):
            rows.append({"panel": panel, "series": series, "kind": kind, "x": x, "x_label": _name(x, xc),
                         "y": y, "y_label": _name(y, yc), **more})

        seen = set()
        for c in ax.containers:
            if isinstance(c, ErrorbarContainer):
                points, _ = _errorbar_rows(c)
                seen.update(id(a) for a in c.get_children())
                for x, y, lo, hi in points:
                    row(_label(c), "point", x, y, value=y if not (c.has_xerr and not c.has_yerr) else x, lo=lo, hi=hi)
            elif isinstance(c, BarContainer):
                seen.update(id(p) for p in c.patches)
                if c.errorbar is not None:
                    seen.update(id(a) for a in c.errorbar.get_children())
                    points, _ = _errorbar_rows(c.errorbar)
                else:
                    points = []
                horizontal = getattr(c, "orientation", "vertical") == "horizontal"
                for k, p in enumerate(c.patches):
                    if horizontal:
                        x, y, v = p.get_x(), p.get_y() + p.get_height() / 2, p.get_width()
                    else:
                        x, y, v = p.get_x() + p.get_width() / 2, p.get_y(), p.get_height()
                    lo, hi = (points[k][2], points[k][3]) if k < len(points) else (np.nan, np.nan)
                    hatched = bool(p.get_hatch())
                    row(_label(c), "bar", x, y, value=v, lo=lo, hi=hi, text="hatched" if hatched else "")
        for line in ax.lines:
            if id(line) in seen or not _data(ax, line):
                continue
            for x, y in np.asarray(line.get_xydata(), dtype=float):  # converted: categorical data as positions
                row(_label(line), "line", x, y, value=y)
        for coll in ax.collections:
            if id(coll) in seen or not isinstance(coll, PathCollection) or not _data(ax, coll):
                continue
            for x, y in np.asarray(coll.get_offsets(), dtype=float):
                row(_label(coll), "point", x, y, value=y)
        for im in ax.images:
            if isinstance(im, AxesImage):
                arr = np.ma.filled(np.ma.asarray(im.get_array(), dtype=float), np.nan)
                for (r, col), v in np.ndenumerate(arr):
                    row(_label(im), "cell", float(col), float(r), value=v)
        for t in ax.texts:
            if not t.get_text():
                continue
            if isinstance(t, Annotation):
                if t.xycoords != "data":
                    continue
                x, y = t.xy
            elif _data(ax, t):
                x, y = t.get_position()
            else:
                continue
            row("", "text", float(x), float(y), text=t.get_text().replace("\n", " "))
    return pd.DataFrame(rows, columns=COLUMNS)
