"""The render pipeline on a tiny notebook: parameters injected, executed, HTML and index written."""
import json

import pytest

from bench.report.render import RenderError, render

NOTEBOOK = '''# %% [markdown]
# # Tiny title

# %% tags=["parameters"]
x = 1

# %%
print(x * 2)
'''


def test_render_injects_parameters_and_writes_pages(tmp_path):
    (tmp_path / "01-tiny.py").write_text(NOTEBOOK)
    out = tmp_path / "out"
    render(params={"x": 21}, src_dir=tmp_path, out_dir=out)
    nb = json.loads((tmp_path / "01-tiny.ipynb").read_text())
    tags = [c["metadata"].get("tags", []) for c in nb["cells"]]
    assert tags.index(["injected-parameters"]) == tags.index(["parameters"]) + 1
    assert "42" in json.dumps(nb["cells"][-1]["outputs"])
    assert "Tiny title" in (out / "index.html").read_text() and (out / "01-tiny.html").exists()


def test_failing_notebook_names_itself_and_writes_nothing(tmp_path):
    (tmp_path / "02-broken.py").write_text(NOTEBOOK + "\n# %%\nraise ValueError('nope')\n")
    with pytest.raises(RenderError, match="02-broken.py.*nope"):
        render(src_dir=tmp_path, out_dir=tmp_path / "out")
    assert not (tmp_path / "02-broken.ipynb").exists()
    assert not (tmp_path / "out" / "02-broken.html").exists()


def test_a_notebook_whose_experiment_is_not_in_the_run_is_skipped(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({"tables": {"read_paths": {}}}))
    (tmp_path / "01-tiny.py").write_text(NOTEBOOK.replace("x = 1\n", "x = 1\n# needs: read_paths\n"))
    (tmp_path / "02-other.py").write_text(NOTEBOOK.replace("x = 1\n", "x = 1\n# needs: rls, read_paths\n"))
    pages = render(params={"run_dir": str(run)}, src_dir=tmp_path, out_dir=tmp_path / "out")
    assert [p.name for p in pages] == ["01-tiny.html", "index.html", "glossary.html"]
    assert "skipped 02-other: the run has no rls results" in capsys.readouterr().err
    assert not (tmp_path / "02-other.ipynb").exists()


def test_rendering_one_notebook_keeps_the_others_in_the_index(tmp_path):
    (tmp_path / "01-tiny.py").write_text(NOTEBOOK)
    (tmp_path / "02-more.py").write_text(NOTEBOOK.replace("Tiny title", "More title"))
    out = tmp_path / "out"
    render(src_dir=tmp_path, out_dir=out)
    render(["02-more"], src_dir=tmp_path, out_dir=out)
    index = (out / "index.html").read_text()
    assert "Tiny title" in index and "More title" in index
