"""Notebooks execute against a real run at scale xs (experiments in quick mode)."""
import shutil

import pytest

from bench import config, results, seed
from bench.experiments import run_experiments
from bench.render import render

pytestmark = [pytest.mark.db, pytest.mark.slow]


@pytest.fixture(scope="session")
def xs_run(server, tmp_path_factory, xs_star):
    root = tmp_path_factory.mktemp("results")
    path = run_experiments(server, seed.Request(scale="xs"), ["dataset"], quick=True, root=root)
    assert results.validate(path) == []
    return path


def test_dataset_notebook_executes_at_xs(xs_run, tmp_path):
    shutil.copy(config.NOTEBOOKS / "01-dataset.py", tmp_path)
    pages = render(["01"], {"run_dir": str(xs_run)}, src_dir=tmp_path, out_dir=tmp_path / "out")
    assert (tmp_path / "01-dataset.ipynb").exists()
    assert "fig-dataset-fanout-distribution" in (tmp_path / "out" / "01-dataset.html").read_text()
    assert pages[-1].name == "index.html"
