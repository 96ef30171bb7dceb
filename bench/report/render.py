"""Executes the notebook sources against a run and writes the executed .ipynb, HTML and an index.

Sources are jupytext percent files `notebooks/NN-slug.py`. As papermill does, the given
parameters go into a cell tagged `injected-parameters` right after the `parameters` cell. Each
output is written to a temporary name and renamed, so a failing notebook leaves nothing half
written.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import re
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbconvert import HTMLExporter

from bench import config
from bench.config import UsageError
from bench.report import front
from bench.report.plots import FIGURES_ENV
from bench.results import store as results


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


def render_one(src: Path, params: dict, out_dir: Path, ipynb_dir: Path, timeout: int = 900) -> tuple[Path, str]:
    """Execute one notebook; write the executed .ipynb into `ipynb_dir` and its page (code hidden:
    the executed notebook keeps it for engineers) into `out_dir`. The page is dressed later."""
    nb = inject(jupytext.read(src), params)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    try:  # the kernel's own stderr (TCP warnings) is not the reader's business: errors come as messages
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(src.parent)}}).execute(stderr=subprocess.DEVNULL)
    except CellExecutionError as exc:
        last = [ANSI.sub("", line) for line in str(exc).strip().splitlines() if line.strip()][-1]
        raise RenderError(f"{src.name} failed: {last}") from None
    _strip_volatile(nb)
    ipynb_dir.mkdir(parents=True, exist_ok=True)
    _write(ipynb_dir / f"{src.stem}.ipynb", nbformat.writes(nb))
    exporter = HTMLExporter(template_name="lab", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb)
    page = out_dir / f"{src.stem}.html"
    _write(page, body)
    return page, _title(nb, src.stem)


ANSI = re.compile(r"\x1b\[[0-9;]*m")


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
           timeout: int = 900, ipynb_dir: Path | None = None, reference_pages: str = "") -> list[Path]:
    """Execute the chosen notebooks against params['run_dir'] into `out_dir` (pages, figures/,
    index.html, glossary.html) and `ipynb_dir` (executed notebooks; default: beside the sources).
    `reference_pages`: a link from these pages to the reference's (for a user's own run)."""
    src_dir = Path(src_dir or config.NOTEBOOKS)
    out_dir = Path(out_dir or config.REPORTS)
    ipynb_dir = Path(ipynb_dir or src_dir)
    chosen = sources(src_dir, names)  # unknown names refused before any folder is made
    out_dir.mkdir(parents=True, exist_ok=True)
    has = _run_tables((params or {}).get("run_dir"), src_dir)
    if has is not None:
        for src in [c for c in chosen if not needs(c) <= has]:
            print(f"skipped {src.stem}: the run has no {', '.join(sorted(needs(src) - has))} results", file=sys.stderr)
        chosen = [c for c in chosen if needs(c) <= has]
    previous = os.environ.get(FIGURES_ENV)
    os.environ[FIGURES_ENV] = str((out_dir / "figures").resolve())  # inherited by the kernels
    try:
        pages = _render_all(chosen, params or {}, out_dir, ipynb_dir, timeout)
    finally:
        if previous is None:
            os.environ.pop(FIGURES_ENV, None)
        else:
            os.environ[FIGURES_ENV] = previous
    known = {p.stem: t for p, t in pages}
    for page in out_dir.glob("[0-9][0-9]-*.html"):  # pages rendered earlier stay listed
        executed = ipynb_dir / f"{page.stem}.ipynb"
        if page.stem not in known and executed.exists():
            known[page.stem] = _title(nbformat.read(executed, as_version=4), page.stem)
    run = _run_of((params or {}).get("run_dir"), src_dir)
    return [p for p, _ in pages] + front.write_site(out_dir, dict(sorted(known.items())), run, {p.stem for p, _ in pages},
                                                    reference_pages)


JOBS_ENV = "BENCH_RENDER_JOBS"


def jobs() -> int:
    """Notebooks executed side by side: one per core, at most 2 (each kernel is one busy process;
    the pages are independent), or $BENCH_RENDER_JOBS."""
    value = os.environ.get(JOBS_ENV, "")
    if value and not (value.isdigit() and int(value) >= 1):
        raise UsageError(f"{JOBS_ENV}={value!r}: give a whole number of notebooks to run at once (1 or more)")
    return int(value) if value else max(1, min(2, os.cpu_count() or 1))


def _render_all(chosen: list[Path], params: dict, out_dir: Path, ipynb_dir: Path, timeout: int) -> list[tuple[Path, str]]:
    """render_one for each source, `jobs()` at a time in fresh processes (spawned: nothing of the
    caller's state is shared), results in the sources' order; the first failure, in that order,
    is raised once the running notebooks finish, and nothing later is started."""
    n = min(jobs(), len(chosen))
    if n <= 1 or not getattr(sys.modules["__main__"], "__file__", None):  # spawn re-imports __main__: not stdin's
        return [render_one(src, params, out_dir, ipynb_dir, timeout) for src in chosen]
    with ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(render_one, src, params, out_dir, ipynb_dir, timeout) for src in chosen]
        try:
            return [f.result() for f in futures]
        except BaseException:
            for f in futures:
                f.cancel()
            raise


def _run_of(run_dir, src_dir: Path):
    if not run_dir:
        return None
    path = Path(run_dir) if Path(run_dir).is_absolute() else src_dir / run_dir
    try:
        return results.load(path)
    except UsageError:
        return None
