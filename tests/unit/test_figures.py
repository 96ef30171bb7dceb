"""The committed figures, their index and the figure index in docs/figures.md agree; ids are unique."""

from bench import config
from bench.report import figindex
from bench.report.plots import FIG_ID

FIGURES = config.REPORTS / "figures"


def test_readme_index_matches_the_figures():
    index = figindex.read()
    listed = figindex.readme_ids(config.REPO / "docs" / "figures.md")
    assert len(listed) == len(set(listed)), "a figure id appears twice in docs/figures.md"
    assert sorted(listed) == sorted(index), "docs/figures.md and reports/figures/index.json disagree"
    on_disk = {p.stem for p in FIGURES.glob("*.svg")} | {p.stem for p in FIGURES.glob("*.png")}
    assert on_disk == set(index), "figure files and index.json disagree"
    assert all(FIG_ID.match(i) for i in index)


def test_every_figure_id_is_saved_once_in_the_notebooks():
    ids = figindex.saved_in_notebooks()
    assert len(ids) == len(set(ids)), "two figures share an id"
    committed = set(figindex.read())
    assert committed <= set(ids), "a committed figure no notebook publishes"
    from bench.report.render import needs, sources
    from bench.results import store

    has = set(store.load(config.REFERENCE).meta.get("tables", {}))
    covered = {f for stem, figs in figindex.saved_by_notebook().items()
               for src in sources(config.NOTEBOOKS, [stem]) if needs(src) <= has for f in figs
               if figindex.optional_ids().get(f, next(iter(has), "")) in has}  # optional sections: their table too
    assert covered - committed == set(), "a notebook the reference covers has a figure that was not rendered"


def test_readme_findings_are_the_reference_runs_verdicts(reference_record):
    from bench.report import readme
    from bench.results import store

    text = (config.REPO / "README.md").read_text()
    assert readme.expected(text, store.load(config.REFERENCE), rec=reference_record) == text, \
        "README findings disagree with the reference run: `python -m bench render --run data/reference/<run>`"


def test_a_changed_verdict_breaks_the_readme_check(reference_record):
    from bench.report import readme
    from bench.results import store

    text = (config.REPO / "README.md").read_text().replace("| **Wrong** |", "| **Right** |", 1)
    assert "| **Right** |" in text
    assert readme.expected(text, store.load(config.REFERENCE), rec=reference_record) != text


def test_the_figure_index_page_is_generated_from_the_figures():
    from bench.report import readme

    assert (config.REPO / "docs" / "figures.md").read_text() == readme.figures_doc(), \
        "docs/figures.md disagrees with reports/figures: `python -m bench render --run data/reference/<run>`"
