import json

import matplotlib.pyplot as plt
import pytest

from bench.report import plots


@pytest.mark.parametrize("bad", ["fig-latency", "Fig-a-b", "fig_a_b", "fig-a--b", "latency-rtt-x"])
def test_bad_ids_are_rejected(tmp_path, bad):
    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match="figure id"):
        plots.save_figure(fig, bad, caption="c", out_dir=tmp_path)


def test_figure_is_stamped_written_and_indexed(tmp_path):
    meta = {"run_id": "20261124T000000Z-host-abcdef0", "git_sha": "abcdef0123", "fingerprint": "0123456789abcdef",
            "machine": {"cores": 2, "cpu_model": "CPU"}}

    def draw():
        fig, ax = plt.subplots()
        ax.plot([1, 2], [3, 4])
        return fig

    paths = plots.save_figure(draw(), "fig-test-line", run=meta, caption="A line", out_dir=tmp_path)
    assert [p.suffix for p in paths] == [".svg", ".png"]
    svg = paths[0].read_text()
    assert "20261124T000000Z-host-abcdef0" in svg and "0123456789ab" in svg
    assert json.loads((tmp_path / "index.json").read_text())["fig-test-line"]["caption"] == "A line"
    first = paths[0].read_bytes()
    plots.save_figure(draw(), "fig-test-line", run=meta, caption="A line", out_dir=tmp_path)
    assert paths[0].read_bytes() == first  # reproducible SVG


def test_caption_required(tmp_path):
    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match="caption"):
        plots.save_figure(fig, "fig-test-line", out_dir=tmp_path)


def _record_many(out_dir, worker: int, n: int) -> None:
    for i in range(n):
        plots._record(out_dir, f"fig-w{worker}-n{i}", {"caption": f"{worker}/{i}", "run_id": None})


def test_notebooks_rendered_side_by_side_lose_no_index_entry(tmp_path):
    """render runs notebooks two at a time; each figure's entry in index.json survives the other's."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_record_many, args=(tmp_path, w, 60)) for w in range(3)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(60)
        assert p.exitcode == 0
    index = json.loads((tmp_path / "index.json").read_text())
    assert len(index) == 180 and index["fig-w2-n59"]["caption"] == "2/59"
