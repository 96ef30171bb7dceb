"""Every notebook executes against a real quick run at scale xs."""
import shutil

import pytest

from bench import config
from bench.results import store as results
from bench.report.render import render, sources

pytestmark = [pytest.mark.db, pytest.mark.slow]


def test_the_quick_run_is_valid(xs_quick_run):
    assert results.validate(xs_quick_run) == []


@pytest.mark.parametrize("source", [p.name for p in sources(config.NOTEBOOKS)])
def test_notebook_executes_at_xs(xs_quick_run, tmp_path, source):
    shutil.copy(config.NOTEBOOKS / source, tmp_path)
    stem = source.removesuffix(".py")
    render([stem], {"run_dir": str(xs_quick_run)}, src_dir=tmp_path, out_dir=tmp_path / "out")
    page = (tmp_path / "out" / f"{stem}.html").read_text()
    assert "fig-" in page and "Traceback" not in page
    assert (tmp_path / f"{stem}.ipynb").exists()
    assert list((tmp_path / "out" / "figures").glob("fig-*.svg"))  # beside the page, not in reports/
