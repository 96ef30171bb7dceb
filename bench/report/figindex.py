"""Which figures exist: ids published by the notebooks, and the index of saved figures
(reports/figures/index.json) that the README's figure table is generated from."""
from __future__ import annotations

import json
import re
from pathlib import Path

from bench import config

START, END = "<!-- figures:start -->", "<!-- figures:end -->"


SAVED = re.compile(r'publish\(\s*"(fig-[a-z0-9-]+)"')


def saved_in_notebooks(notebooks: Path | None = None) -> list[str]:
    """Every figure id a notebook source saves, once per call site (duplicates kept)."""
    ids = []
    for source in sorted(Path(notebooks or config.NOTEBOOKS).glob("[0-9][0-9]-*.py")):
        ids += SAVED.findall(source.read_text())
    return ids


def saved_by_notebook(notebooks: Path | None = None) -> dict[str, list[str]]:
    """Notebook stem -> the figure ids it publishes, in order."""
    return {source.stem: SAVED.findall(source.read_text())
            for source in sorted(Path(notebooks or config.NOTEBOOKS).glob("[0-9][0-9]-*.py"))}


OPTIONAL = re.compile(r"^# optional: ([a-z_]+)$", re.M)


def optional_ids(notebooks: Path | None = None) -> dict[str, str]:
    """Figure id -> the experiment its cell needs, for cells marked `# optional: <experiment>`
    (a section shown only when the run has that table; skipped with a sentence otherwise)."""
    out = {}
    for source in sorted(Path(notebooks or config.NOTEBOOKS).glob("[0-9][0-9]-*.py")):
        for cell in source.read_text().split("# %%"):
            found = OPTIONAL.search(cell)
            if found:
                out.update({fig_id: found.group(1) for fig_id in SAVED.findall(cell)})
    return out


def read(figures: Path | None = None) -> dict[str, dict]:
    path = Path(figures or config.REPORTS / "figures") / "index.json"
    return json.loads(path.read_text()) if path.exists() else {}


def table(index: dict[str, dict]) -> str:
    rows = [f"| [`{fig_id}`](reports/figures/{fig_id}.svg) | {entry['caption']} |"
            for fig_id, entry in sorted(index.items())]
    return "\n".join(["| figure | what it shows |", "|---|---|", *rows])


def readme_ids(readme: Path | None = None) -> list[str]:
    text = Path(readme or config.REPO / "README.md").read_text()
    block = text.split(START, 1)[1].split(END, 1)[0] if START in text else ""
    return re.findall(r"\[`(fig-[a-z0-9-]+)`\]", block)
