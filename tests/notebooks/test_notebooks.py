"""Every notebook executes: against a real quick run at scale xs (the whole site rendered once),
and as is, with its own default parameters, against the committed reference run. Each figure a
notebook publishes is an image in its executed notebook and on its page, and the rendered site
holds up in a browser."""
import base64
import shutil

import nbformat
import pytest

from bench import config
from bench.report import figindex
from bench.report.render import needs, render, sources
from bench.results import store as results

from site_checks import check_site

pytestmark = [pytest.mark.db, pytest.mark.slow]
STEMS = [p.stem for p in sources(config.NOTEBOOKS)]


def _site(tmp, params):
    src = tmp / "src"
    src.mkdir()
    for p in sources(config.NOTEBOOKS):
        shutil.copy(p, src)
    render(None, params, src_dir=src, out_dir=tmp / "site", ipynb_dir=tmp / "executed")
    return tmp


@pytest.fixture(scope="module")
def xs_site(xs_quick_run, tmp_path_factory):
    return _site(tmp_path_factory.mktemp("xs"), {"run_dir": str(xs_quick_run)})


@pytest.fixture(scope="module")
def default_site(tmp_path_factory):
    """Each source with its own defaults (run_dir = "../data/reference"), from notebooks/ as in JupyterLab."""
    tmp = tmp_path_factory.mktemp("defaults")
    render(COVERED, {}, src_dir=config.NOTEBOOKS, out_dir=tmp / "site", ipynb_dir=tmp / "executed")
    return tmp


REFERENCE_TABLES = set(results.load(config.REFERENCE).meta.get("tables", {}))
COVERED = [p.stem for p in sources(config.NOTEBOOKS) if needs(p) <= REFERENCE_TABLES]  # what the reference can show


def test_the_quick_run_is_valid(xs_quick_run):
    assert results.validate(xs_quick_run) == []


def images_after_anchors(nb) -> dict[str, int]:
    """fig-id -> bytes of the PNG output that follows its anchor output in the executed notebook."""
    shown = {}
    for cell in nb.cells:
        outputs = cell.get("outputs", [])
        for a, b in zip(outputs, outputs[1:]):
            html = a.get("data", {}).get("text/html", "")
            if 'class="fig-ref" id="' in html and "image/png" in b.get("data", {}):
                fig = html.split('id="', 1)[1].split('"', 1)[0]
                shown[fig] = len(base64.b64decode(b["data"]["image/png"]))
    return shown


@pytest.mark.parametrize("stem", STEMS)
def test_each_published_figure_is_an_image_in_the_executed_notebook(xs_site, stem):
    nb = nbformat.read(xs_site / "executed" / f"{stem}.ipynb", as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    shown = images_after_anchors(nb)
    saved = [f for f in figindex.saved_by_notebook()[stem] if (xs_site / "site" / "figures" / f"{f}.png").exists()]
    optional = figindex.optional_ids()  # sections shown only when the run has their data (a second server)
    assert saved or all(f in optional for f in figindex.saved_by_notebook()[stem]), f"{stem} saved no figure at xs"
    for fig in saved:  # a figure the quick run has no data for is neither saved nor shown
        assert shown.get(fig, 0) > 1000, f"{fig} is not shown as an image in {stem}"


def test_the_xs_site_holds_up_in_a_browser(xs_site):
    assert check_site(xs_site / "site", xs_site / "src") == []


def test_every_notebook_runs_as_is_against_the_reference(default_site):
    assert sorted(p.stem for p in (default_site / "executed").glob("*.ipynb")) == COVERED
    assert check_site(default_site / "site", config.NOTEBOOKS) == []
