import json

import matplotlib.pyplot as plt
import pytest

from bench.report import plots


@pytest.mark.parametrize("bad", ["fig-latency", "Fig-a-b", "fig_a_b", "fig-a--b", "latency-rtt-x"])
def test_bad_ids_are_rejected(tmp_path, bad):
    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match="figure id"):
        plots.save_figure(fig, bad, caption="c", out_dir=tmp_path)


META = {"run_id": "20261124T000000Z-host-abcdef0", "git_sha": "abcdef0123", "fingerprint": "0123456789abcdef",
        "machine": {"cores": 2, "cpu_model": "CPU"}, "versions": {"postgresql": "18.6"}, "scale": "s,m"}


def test_figure_is_stamped_written_and_indexed(tmp_path):
    meta = META

    def draw():
        fig, ax = plt.subplots()
        ax.plot([1, 2], [3, 4])
        return fig

    paths = plots.save_figure(draw(), "fig-test-line", run=meta, caption="A line", out_dir=tmp_path)
    assert [p.suffix for p in paths] == [".svg", ".png", ".csv"]
    svg = paths[0].read_text()
    assert "20261124T000000Z-host-abcdef0" in svg and "0123456789ab" in svg
    assert "PostgreSQL 18.6" in svg and "scale s,m" in svg
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


def test_footer_names_the_scale_in_the_title_and_the_surface(tmp_path):
    fig, ax = plt.subplots()
    ax.plot([1, 2], [3, 4])
    ax.set_title("A finding ('account', scale m, RTT 0)")
    svg = plots.save_figure(fig, "fig-test-line", run=META, caption="c", out_dir=tmp_path,
                            surface="through PostgREST")[0].read_text()
    assert "PostgreSQL 18.6 · scale m · through PostgREST" in svg


def test_csv_holds_what_the_figure_plots(tmp_path):
    import pandas as pd

    fig, (a1, a2) = plt.subplots(1, 2)
    a1.errorbar([0, 2], [5, 7], yerr=[[1, 1], [2, 2]], label="line a")
    a1.axhline(1)  # a reference line is not data
    a1.set_title("left")
    a2.bar([0, 1], [3, 4], label="bars", hatch="//")
    a2.set_xticks([0, 1], ["one", "two"])
    a2.annotate("timed out", (1, 4))
    csv = plots.save_figure(fig, "fig-test-data", run=META, caption="c", out_dir=tmp_path)[2]
    d = pd.read_csv(csv)
    pts = d[d.series == "line a"]
    assert pts[["x", "y", "lo", "hi"]].values.tolist() == [[0, 5, 4, 7], [2, 7, 6, 9]]
    assert (pts.panel == "left").all() and len(d[d.kind == "line"]) == 0
    bars = d[d.kind == "bar"]
    assert bars.x_label.tolist() == ["one", "two"] and bars.value.tolist() == [3, 4]
    assert (bars.text == "hatched").all()
    assert d[d.kind == "text"].text.tolist() == ["timed out"]


def test_a_title_wider_than_the_figure_is_wrapped_not_cut(tmp_path):
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.set_title("A very long finding that states a number and then another and yet more words, " * 3)
    plots.save_figure(fig, "fig-test-title", run=META, caption="c", out_dir=tmp_path)
    fig.canvas.draw()
    box = ax.title.get_window_extent(fig.canvas.get_renderer())
    assert box.x0 >= 0 and box.x1 <= fig.bbox.width


def test_csv_of_a_categorical_line(tmp_path):
    import pandas as pd

    fig, ax = plt.subplots()
    ax.plot(["s", "m"], [1.0, 2.0], label="by scale")
    d = pd.read_csv(plots.save_figure(fig, "fig-test-cat", run=META, caption="c", out_dir=tmp_path)[2])
    assert d.x_label.tolist() == ["s", "m"] and d.y.tolist() == [1.0, 2.0]
