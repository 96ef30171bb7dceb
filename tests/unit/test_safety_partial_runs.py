"""Issue 26 leftovers without a server: a results write killed at any moment leaves no folder that
validate or summary could take for a run, and the next run removes (and names) what kill -9 left;
"interrupted" is printed on a line of its own, not on the progress bar's."""
import os
import signal
import subprocess
import sys

import pandas as pd
import pytest

from bench.results import store

KILLED_WRITER = """
import os, signal, sys
import pandas as pd
from bench.results.store import RunWriter
with RunWriter({"git_sha": "abcdef1"}, root=sys.argv[1]) as run:
    run.write_table("dataset", pd.DataFrame({"experiment": ["d"], "strategy": ["s"], "scale": ["xs"]}))
    os.kill(os.getpid(), signal.SIGKILL)
"""


def _table() -> pd.DataFrame:
    return pd.DataFrame({"experiment": ["d"], "strategy": ["s"], "scale": ["xs"]})


def test_a_write_killed_by_sigkill_is_never_a_run_and_the_next_run_removes_it(tmp_path, capsys):
    done = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == -signal.SIGKILL, done.stderr
    left = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert len(left) == 1 and left[0].name.startswith(".") and left[0].name.endswith(".partial")
    assert store.validate(left[0]) == [f"{left[0].name} is an unfinished (partial) run"]
    assert store.latest_run(tmp_path) is None  # summary/render's default never picks it

    mine = tmp_path / f".20260101T000000Z-{store.RunWriter({}).host}-abcdef1.{os.getpid()}.1.partial"
    mine.mkdir()  # a write still in progress (its process lives): left alone
    with store.RunWriter({"git_sha": "abcdef1"}, root=tmp_path) as run:
        run.write_table("dataset", _table())
    err = capsys.readouterr().err
    assert not left[0].exists() and mine.exists()
    assert f"removed {left[0]}" in err and "killed while writing it" in err
    finished = [p for p in tmp_path.iterdir() if p.is_dir() and not p.name.startswith(".")]
    assert len(finished) == 1 and (finished[0] / "run.json").exists()  # the new run is written as usual


def test_ctrl_c_while_the_run_folder_is_moved_in_leaves_no_folder(tmp_path, monkeypatch):
    def interrupted(self, target):
        raise KeyboardInterrupt

    monkeypatch.setattr(store.Path, "rename", interrupted)
    with pytest.raises(KeyboardInterrupt):
        with store.RunWriter({"git_sha": "abcdef1"}, root=tmp_path) as run:
            run.write_table("dataset", _table())
    assert [p.name for p in tmp_path.iterdir()] == [".lock"]


INTERRUPTED_UNDER_A_BAR = """
import sys
from tqdm import tqdm
import bench.cli as cli

def seeding(args):
    bar = tqdm(total=100, desc="public.users", leave=True)
    bar.update(10)
    raise KeyboardInterrupt

cli._dispatch = seeding
sys.exit(cli.main(["validate", "x"]))
"""


def test_interrupted_is_printed_on_its_own_line_not_the_progress_bars():
    done = subprocess.run([sys.executable, "-c", INTERRUPTED_UNDER_A_BAR], capture_output=True, timeout=60)
    assert done.returncode == 130
    lines = done.stderr.decode().split("\n")
    said = [line for line in lines if "interrupted" in line]
    assert said == ["interrupted: nothing marked complete"], done.stderr
