"""Executes the notebook sources against a run and writes the executed .ipynb, HTML and an index.

Sources are jupytext percent files `notebooks/NN-slug.py`. As papermill does, the given
parameters go into a cell tagged `injected-parameters` right after the `parameters` cell. Each
output is written to a temporary name and renamed, so a failing notebook leaves nothing half
written.
"""
from __future__ import annotations

import html
import json
import os
import re
import sys
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbconvert import HTMLExporter

from bench import config
from bench.config import UsageError
from bench.report.plots import FIGURES_ENV


class RenderError(RuntimeError):
    pass


def sources(src_dir: Path, names=None) -> list[Path]:
    found = sorted(src_dir.glob("[0-9][0-9]-*.py"))
    if not names:
        return found
    chosen = []
    for name in names:
        match = [p for p in found if p.stem == name or p.stem.startswith(f"{name}-") or p.name == name]
        if not match:
            raise UsageError(f"no notebook {name!r} in {src_dir}: choose from {', '.join(p.stem for p in found)}")
        chosen += match
    return chosen


def inject(nb: nbformat.NotebookNode, params: dict) -> nbformat.NotebookNode:
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])]
    if not tagged:
        raise RenderError("the notebook has no cell tagged 'parameters'")
    source = "# Parameters\n" + "".join(f"{k} = {v!r}\n" for k, v in params.items())
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    nb.cells.insert(tagged[0] + 1, cell)
    return nb


def _strip_volatile(nb: nbformat.NotebookNode) -> None:
    for i, cell in enumerate(nb.cells):
        cell.metadata.pop("execution", None)
        cell["id"] = f"cell-{i}"
    nb.metadata.pop("papermill", None)


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _title(nb: nbformat.NotebookNode, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def render_one(src: Path, params: dict, out_dir: Path, timeout: int = 900) -> tuple[Path, str]:
    nb = inject(jupytext.read(src), params)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(src.parent)}}).execute()
    except CellExecutionError as exc:
        text = ANSI.sub("", str(exc))  # tracebacks from the kernel carry colour codes
        last = [line for line in text.strip().splitlines() if line.strip()][-1]
        raise RenderError(f"{src.name} failed: {last}") from None
    _strip_volatile(nb)
    ipynb = src.with_suffix(".ipynb")
    _write(ipynb, nbformat.writes(nb))
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    page = out_dir / f"{src.stem}.html"
    _write(page, body)
    return page, _title(nb, src.stem)


ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
NEEDS = re.compile(r"^# needs: (.+)$", re.M)


def needs(src: Path) -> set[str]:
    """Experiments a notebook reads, from its `# needs: a, b` line (in its parameters cell)."""
    m = NEEDS.search(src.read_text())
    return {n.strip() for n in m.group(1).split(",")} if m else set()


def _run_tables(run_dir, src_dir: Path) -> set[str] | None:
    """The experiments in the run the notebooks will read (run_dir as they see it, from src_dir)."""
    if not run_dir:
        return None
    path = Path(run_dir) if Path(run_dir).is_absolute() else src_dir / run_dir
    try:
        return set(json.loads((path / "run.json").read_text()).get("tables", {}))
    except (OSError, ValueError):
        return None  # the notebook itself reports a missing or broken run


def render(names=None, params: dict | None = None, src_dir: Path | None = None, out_dir: Path | None = None,
           timeout: int = 900) -> list[Path]:
    src_dir = Path(src_dir or config.NOTEBOOKS)
    out_dir = Path(out_dir or config.REPORTS)
    out_dir.mkdir(parents=True, exist_ok=True)
    chosen = sources(src_dir, names)
    has = _run_tables((params or {}).get("run_dir"), src_dir)
    if has is not None:
        for src in [c for c in chosen if not needs(c) <= has]:
            print(f"skipped {src.stem}: the run has no {', '.join(sorted(needs(src) - has))} results", file=sys.stderr)
        chosen = [c for c in chosen if needs(c) <= has]
    previous = os.environ.get(FIGURES_ENV)
    os.environ[FIGURES_ENV] = str((out_dir / "figures").resolve())  # inherited by the kernels
    try:
        pages = [render_one(src, params or {}, out_dir, timeout) for src in chosen]
    finally:
        if previous is None:
            os.environ.pop(FIGURES_ENV, None)
        else:
            os.environ[FIGURES_ENV] = previous
    index = out_dir / "index.html"
    known = {p.stem: t for p, t in pages}
    for page in out_dir.glob("[0-9][0-9]-*.html"):  # pages rendered earlier stay listed
        executed = src_dir / f"{page.stem}.ipynb"
        if page.stem not in known and executed.exists():
            known[page.stem] = _title(nbformat.read(executed, as_version=4), page.stem)
    items = "\n".join(f'<li><a href="{html.escape(stem)}.html">{html.escape(stem)}: {html.escape(title)}</a></li>'
                      for stem, title in sorted(known.items()))
    _write(index, f"<!doctype html>\n<meta charset=utf-8>\n<title>star-bench report</title>\n"
                  f"<h1>star-bench report</h1>\n<ul>\n{items}\n</ul>\n")
    return [p for p, _ in pages] + [index]
