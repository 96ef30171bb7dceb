"""Bad input gets one `error:` line and exit 2 with nothing written, never a traceback: broken run
folders (a 0-byte parquet whose sha256 run.json lists, a null table entry) in validate, summary,
compare and render; --threshold nan/negative; --seed -1; unknown experiments and notebooks; an
unwritable --out; a 100 KB bad value is not echoed in full."""
import contextlib
import hashlib
import io
import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from bench import config
from bench.cli import main

REFERENCE = sorted(p for p in config.REFERENCE.glob("2*") if p.is_dir())[-1]


def _bench(*args) -> SimpleNamespace:
    """The CLI in this process (an uncaught exception fails the test as a traceback would)."""
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse's own refusals
            code = exc.code
    return SimpleNamespace(returncode=code, stderr=err.getvalue(), stdout=out.getvalue())


def _one_error_line(done: SimpleNamespace, code: int = 2) -> str:
    assert done.returncode == code, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr[-2000:]
    return lines[0]


KEPT = ("dataset", "evolution")  # two small tables of the reference run: a valid run, quick to check


def _small_run(where: Path) -> Path:
    run = where / REFERENCE.name
    run.mkdir(parents=True)
    meta = json.loads((REFERENCE / "run.json").read_text())
    meta["tables"] = {k: v for k, v in meta["tables"].items() if k in KEPT}
    for name in KEPT:
        shutil.copy(REFERENCE / f"{name}.parquet", run)
    (run / "run.json").write_text(json.dumps(meta))
    return run


@pytest.fixture
def good_run(tmp_path) -> Path:
    run = _small_run(tmp_path / "good")
    assert _bench("validate", run).returncode == 0
    return run


@pytest.fixture(params=["empty_parquet", "null_table"])
def broken_run(request, tmp_path) -> Path:
    run = _small_run(tmp_path / "broken")
    meta = json.loads((run / "run.json").read_text())
    if request.param == "empty_parquet":
        (run / "evolution.parquet").write_bytes(b"")
        meta["tables"]["evolution"]["sha256"] = hashlib.sha256(b"").hexdigest()
    else:
        meta["tables"]["evolution"] = None
    (run / "run.json").write_text(json.dumps(meta))
    return run


def test_a_broken_run_is_refused_in_one_line_everywhere(broken_run, good_run):
    done = _bench("validate", broken_run)
    assert done.returncode == 1 and "Traceback" not in done.stderr and done.stderr.startswith("invalid: ")
    _one_error_line(_bench("summary", broken_run))
    _one_error_line(_bench("compare", good_run, broken_run))
    _one_error_line(_bench("compare", broken_run, good_run))
    _one_error_line(_bench("render", "01-dataset", "--run", broken_run))
    assert not (config.REPORTS / "runs" / broken_run.name).exists()  # nothing written


@pytest.mark.parametrize("threshold", ["nan", "-0.1", "inf"])
def test_compare_refuses_a_threshold_that_says_nothing(threshold):
    assert "--threshold" in _one_error_line(_bench("compare", "a", "b", f"--threshold={threshold}"))


def test_seed_refuses_a_negative_seed_before_any_connection():
    assert "--seed" in _one_error_line(_bench("seed", "--scale", "xs", "--seed", "-1", "--dsn", "host=/nonexistent"))


def test_unknown_experiment_refused_before_the_server_is_reached(tmp_path):
    line = _one_error_line(_bench("run", "nosuch", "--scale", "xs", "--out", tmp_path, "--dsn", "host=/nonexistent"))
    assert "unknown experiment 'nosuch'" in line and list(tmp_path.iterdir()) == []


def test_unknown_notebook_leaves_no_folder(good_run):
    run = good_run
    done = _bench("render", "nosuchnotebook", "--run", run)
    assert done.returncode == 2 and "nosuchnotebook" in done.stderr and "Traceback" not in done.stderr
    assert not (config.REPORTS / "runs" / run.name).exists()


def test_unwritable_out_is_refused_before_the_run(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    line = _one_error_line(_bench("run", "dataset", "--scale", "xs", "--out", blocker / "results",
                                  "--dsn", "host=/nonexistent"))
    assert "--out" in line  # refused before any server is reached (the DSN would fail otherwise)


def test_a_long_bad_value_is_cut():
    line = _one_error_line(_bench("run", "x" * 100_000, "--scale", "xs", "--dsn", "host=/nonexistent"))
    assert len(line) < 1000


def test_fresh_refuses_a_dsn_connected_to_the_dataset_itself():
    line = _one_error_line(_bench("seed", "--scale", "xs", "--fresh", "--dsn", "host=/nonexistent dbname=bench_star_xs"))
    assert "bench_star_xs" in line and "dbname=postgres" in line


def test_the_pools_reconnect_noise_is_not_echoed_once_the_server_went_away(caplog):
    """psycopg's pool logs every failed reconnect (hundreds of lines after the server stopped);
    the command's own line says it went away. Other warnings still show."""
    import logging

    from bench import cli

    cli._quiet_server_gone_logs()
    pool = logging.getLogger("psycopg.pool")
    with caplog.at_level(logging.WARNING):
        pool.warning("error connecting in %r: %s", "pool-2", "connection failed: connection to server at "
                     "\"127.0.0.1\", port 5432 failed: Connection refused")
        pool.warning("discarding closed connection: %s", "<psycopg.Connection [BAD]>")
        logging.getLogger("psycopg").warning("error ignored in rollback on <psycopg.Connection>: sending query failed")
        pool.warning("some other warning")
    assert [r.getMessage() for r in caplog.records] == ["some other warning"]
