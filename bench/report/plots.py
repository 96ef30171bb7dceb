"""House style and `publish`: every figure stamped, saved as SVG + PNG and shown on its page."""
from __future__ import annotations

import fcntl
import json
import os
import re
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


def apply_style() -> None:
    plt.rcParams.update(STYLE)


def _stamp(run, fig_id: str) -> str:
    meta = run.meta if hasattr(run, "meta") else (run or {})
    run_id = getattr(run, "id", None) or meta.get("run_id", "no run")
    machine = meta.get("machine", {})
    fp = str(meta.get("fingerprint", ""))[:12]
    return (f"{fig_id} · run {run_id} · git {str(meta.get('git_sha', ''))[:7]}"
            f"{'+dirty' if meta.get('git_dirty') else ''} · data {fp} · "
            f"{machine.get('cores', '?')} cores, {machine.get('cpu_model', '?')}")


def save_figure(fig, fig_id: str, run=None, caption: str = "", out_dir: Path | None = None) -> list[Path]:
    """Stamp the footer, write <out_dir>/<fig_id>.svg and .png, record the caption in index.json."""
    if not FIG_ID.match(fig_id):
        raise ValueError(f"figure id {fig_id!r} must look like fig-<topic>-<metric>[-<variant>] (a-z, 0-9, hyphens)")
    if not caption:
        raise ValueError(f"figure {fig_id} needs a caption (it goes into the README's figure index)")
    out_dir = Path(out_dir or os.environ.get(FIGURES_ENV) or config.REPORTS / "figures")
    out_dir.mkdir(parents=True, exist_ok=True)
    fig.text(0.005, 0.003, _stamp(run, fig_id), fontsize=6.5, color="#777", ha="left", va="bottom")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    paths = [out_dir / f"{fig_id}.svg", out_dir / f"{fig_id}.png"]
    with plt.rc_context({"svg.hashsalt": STYLE["svg.hashsalt"]}):  # reproducible element ids
        fig.savefig(paths[0], metadata={"Date": None})
    fig.savefig(paths[1], metadata={"Software": None})
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


def publish(fig_id: str, chart, run=None, caption: str = "") -> None:
    """The one way a notebook shows a figure: save it (`save_figure`), then show on the page, where
    the text discusses it, an anchor `id="<fig_id>"` with links to its files, the figure itself
    (the saved PNG, so page, notebook and file are the same picture) and the sentence computed
    with it. `chart` is what every chart function returns: (figure, sentence)."""
    from IPython.display import HTML, Image, Markdown, display

    fig, sentence = chart
    if fig is None:  # nothing to draw in this run: the sentence says why
        display(Markdown(sentence))
        return
    paths = save_figure(fig, fig_id, run=run, caption=caption)
    plt.close(fig)
    display(HTML(f'<p class="fig-ref" id="{fig_id}"><a href="#{fig_id}">#{fig_id}</a> · '
                 f'<a href="figures/{fig_id}.svg">SVG</a> · <a href="figures/{fig_id}.png">PNG</a></p>'))
    display(Image(data=paths[1].read_bytes(), format="png"))
    display(Markdown(sentence))
