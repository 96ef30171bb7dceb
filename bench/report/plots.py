"""House style and `publish`: every figure stamped, saved as SVG + PNG + the CSV of what it
plots, and shown on its page."""
from __future__ import annotations

import fcntl
import json
import os
import re
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from bench import config  # noqa: E402

FIGURES_ENV = "BENCH_FIGURES_DIR"  # set by render: figures go beside the HTML they belong to
FIG_ID = re.compile(r"^fig(-[a-z0-9]+){2,}$")
STYLE = {
    "figure.dpi": 110, "savefig.dpi": 110, "font.size": 9.5, "axes.titlesize": 11, "axes.spines.top": False,
    "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3, "legend.frameon": False,
    "svg.hashsalt": "star-bench", "svg.fonttype": "none",
}


SURFACE = {"surface": ""}  # the page's default surface (apply_style), for figures that name none


def apply_style(surface: str = "") -> None:
    """The house style; `surface`: how this page's figures reached PostgreSQL unless a publish
    call says otherwise (e.g. "direct connection"), stamped into each footer."""
    plt.rcParams.update(STYLE)
    SURFACE["surface"] = surface


SCALE_IN_TITLE = re.compile(r"\bscales? ((?:xs|s|m|l|xl)(?:(?:, | and | to |,)(?:xs|s|m|l|xl))*)\b")


def _titles(fig) -> list[str]:
    texts = [fig._suptitle.get_text()] if getattr(fig, "_suptitle", None) is not None else []
    return texts + [ax.get_title() for ax in fig.axes]


def _scale(fig, meta: dict) -> str:
    """The scale a figure shows: what its titles say, else the run's scales."""
    for title in _titles(fig):
        found = SCALE_IN_TITLE.search(title)
        if found:
            return found.group(1)
    return str(meta.get("scale", "?"))


def _stamp(run, fig_id: str, scale: str = "?", surface: str = "") -> str:
    """Two footer lines: what the figure is (id, server, scale, surface), then where it came from."""
    meta = run.meta if hasattr(run, "meta") else (run or {})
    run_id = getattr(run, "id", None) or meta.get("run_id", "no run")
    machine = meta.get("machine", {})
    fp = str(meta.get("fingerprint", ""))[:12]
    version = meta.get("versions", {}).get("postgresql", "?")
    surface = surface or SURFACE["surface"] or str(meta.get("topology", "?"))
    return (f"{fig_id} · PostgreSQL {version} · scale {scale} · {surface}\n"
            f"run {run_id} · git {str(meta.get('git_sha', ''))[:7]}"
            f"{'+dirty' if meta.get('git_dirty') else ''} · data {fp} · "
            f"{machine.get('cores', '?')} cores, {machine.get('cpu_model', '?')}")


def fit_titles(fig) -> None:
    """Re-wrap any title wider than the room it has (a suptitle: the figure; an axes title: its
    column of the grid) so that no title is cut at the figure's edge."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    suptitle = getattr(fig, "_suptitle", None)
    texts = [(suptitle, 1)] if suptitle is not None and suptitle.get_text() else []
    for ax in fig.axes:
        spec = ax.get_subplotspec() if hasattr(ax, "get_subplotspec") else None
        ncols = spec.get_gridspec().ncols if spec is not None else 1
        texts += [(t, ncols) for t in (ax.title, ax._left_title, ax._right_title) if t.get_text()]
    for t, ncols in texts:
        limit = fig.bbox.width * 0.96 / ncols
        if t is not suptitle:  # centred on its axes: it must fit on both sides of that centre
            centre = (t.axes.bbox.x0 + t.axes.bbox.x1) / 2
            limit = min(limit, 2 * min(centre, fig.bbox.width - centre) * 0.96)
        box = t.get_window_extent(renderer)
        if box.width <= limit:
            continue
        text = t.get_text()
        chars = max(len(line) for line in text.splitlines())
        per_line = max(24, int(chars * limit / box.width * 0.95))
        t.set_text("\n".join(textwrap.fill(line, per_line) for line in text.splitlines()))


def _bottom(fig) -> float:
    """The figure's share kept free at the bottom: the two footer lines, and above them any
    figure legend placed at the lower centre (moved there, clear of the footer)."""
    footer = min(0.3, 26 / (fig.get_figheight() * 72))
    bottom = footer
    fig.canvas.draw()
    for leg in fig.legends:
        if leg._loc == 8:  # lower center
            leg.set_bbox_to_anchor((0.5, footer), transform=fig.transFigure)
            bottom = max(bottom, footer + leg.get_window_extent().height / fig.bbox.height + 0.01)
    return bottom


def save_figure(fig, fig_id: str, run=None, caption: str = "", out_dir: Path | None = None,
                surface: str = "") -> list[Path]:
    """Stamp the footer, write <out_dir>/<fig_id>.svg, .png and .csv (what it plots: figdata),
    record the caption in index.json."""
    if not FIG_ID.match(fig_id):
        raise ValueError(f"figure id {fig_id!r} must look like fig-<topic>-<metric>[-<variant>] (a-z, 0-9, hyphens)")
    if not caption:
        raise ValueError(f"figure {fig_id} needs a caption (it goes into the README's figure index)")
    out_dir = Path(out_dir or os.environ.get(FIGURES_ENV) or config.REPORTS / "figures")
    out_dir.mkdir(parents=True, exist_ok=True)
    from bench.report import figdata

    meta = run.meta if hasattr(run, "meta") else (run or {})
    data = figdata.extract(fig)  # before the footer: the stamp is not data
    fig.text(0.005, 0.003, _stamp(run, fig_id, _scale(fig, meta), surface), fontsize=6.5, color="#777",
             ha="left", va="bottom", linespacing=1.3)
    fig.tight_layout(rect=(0, _bottom(fig), 1, 1))  # the axes where they will be, then the titles fitted to them
    fit_titles(fig)
    fig.tight_layout(rect=(0, _bottom(fig), 1, 1))
    paths = [out_dir / f"{fig_id}.svg", out_dir / f"{fig_id}.png", out_dir / f"{fig_id}.csv"]
    with plt.rc_context({"svg.hashsalt": STYLE["svg.hashsalt"]}):  # reproducible element ids
        fig.savefig(paths[0], metadata={"Date": None})
    fig.savefig(paths[1], metadata={"Software": None})
    data.to_csv(paths[2], index=False, float_format="%.6g")
    _record(out_dir, fig_id, {"caption": caption, "run_id": getattr(run, "id", None)})
    return paths


def _record(out_dir: Path, fig_id: str, entry: dict) -> None:
    """index.json gains one entry; notebooks rendered side by side each hold the lock while they
    read, change and replace it, so no entry is lost."""
    index_path = out_dir / "index.json"
    with open(out_dir / ".index.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        index = json.loads(index_path.read_text()) if index_path.exists() else {}
        index[fig_id] = entry
        tmp = index_path.with_name(f".index.json.{os.getpid()}")
        tmp.write_text(json.dumps(dict(sorted(index.items())), indent=2) + "\n")
        os.replace(tmp, index_path)


def publish(fig_id: str, chart, run=None, caption: str = "", surface: str = "") -> None:
    """The one way a notebook shows a figure: save it (`save_figure`), then show on the page, where
    the text discusses it, an anchor `id="<fig_id>"` with links to its files, the figure itself
    (the saved PNG, so page, notebook and file are the same picture) and the sentence computed
    with it. `chart` is what every chart function returns: (figure, sentence)."""
    from IPython.display import HTML, Image, Markdown, display

    fig, sentence = chart
    if fig is None:  # nothing to draw in this run: the sentence says why
        display(Markdown(sentence))
        return
    paths = save_figure(fig, fig_id, run=run, caption=caption, surface=surface)
    plt.close(fig)
    display(HTML(f'<p class="fig-ref" id="{fig_id}"><a href="#{fig_id}">#{fig_id}</a> · '
                 f'<a href="figures/{fig_id}.svg">SVG</a> · <a href="figures/{fig_id}.png">PNG</a></p>'))
    display(Image(data=paths[1].read_bytes(), format="png"))
    display(HTML(f'<p class="fig-ref fig-data">the numbers this figure plots: '
                 f'<a href="figures/{fig_id}.csv">{fig_id}.csv</a></p>'))
    display(Markdown(sentence))
