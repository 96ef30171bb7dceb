"""Bad input: a one-line error that says what to do, exit code 2, nothing written."""
import socket
import subprocess
import sys

import pytest

from bench import config


def bench(*args, env=None):
    return subprocess.run([sys.executable, "-m", "bench", *args], capture_output=True, text=True, timeout=120,
                          cwd=config.REPO, env=env)


def _one_line_error(done, *needles):
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ")
    for needle in needles:
        assert needle in lines[0]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _results_snapshot():
    return sorted(p.name for p in config.RESULTS.glob("*")) if config.RESULTS.exists() else []


def test_unknown_scale():
    before = _results_snapshot()
    _one_line_error(bench("seed", "--scale", "huge", "--dsn", "postgresql://nobody@127.0.0.1:1/x"), "unknown scale", "xs")
    _one_line_error(bench("run", "--scale", "huge"), "unknown scale")
    assert _results_snapshot() == before


def test_unknown_variant_and_orphans_on_relational():
    _one_line_error(bench("seed", "--variant", "snowflake"), "unknown variant", "relational")
    _one_line_error(bench("seed", "--variant", "relational", "--orphans", "0.1"), "forbids orphans")


def test_malformed_dsn():
    _one_line_error(bench("seed", "--scale", "xs", "--dsn", "host=localhost port=5432 oops"), "malformed DSN")


def test_unreachable_server():
    before = _results_snapshot()
    done = bench("run", "--scale", "xs", "--dsn", f"postgresql://postgres@127.0.0.1:{_closed_port()}/postgres")
    _one_line_error(done, "cannot reach PostgreSQL")
    assert _results_snapshot() == before


def test_every_verb_has_help():
    for verb in ("db", "seed", "run", "validate", "summary", "render"):
        done = bench(verb, "--help")
        assert done.returncode == 0 and "usage: python -m bench " + verb in done.stdout


@pytest.mark.db
def test_database_without_marker_is_refused(server):
    from bench.db import pg

    with pg.connect(server, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS bench_star_xs_foreign")
    # a database named like a dataset but made by someone else
    with pg.connect(server, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS bench_star_nofk_xs")
        conn.execute("CREATE DATABASE bench_star_nofk_xs")
    with pg.connect(pg.with_dbname(server, "bench_star_nofk_xs"), autocommit=True) as conn:
        conn.execute("CREATE TABLE precious (v int)")
        conn.execute("INSERT INTO precious VALUES (1)")
    done = bench("seed", "--scale", "xs", "--variant", "star_nofk", "--dsn", server)
    _one_line_error(done, "not created by this suite", "--force-foreign-db")
    with pg.connect(pg.with_dbname(server, "bench_star_nofk_xs")) as conn:
        assert conn.execute("SELECT v FROM precious").fetchone() == (1,)
    with pg.connect(server, autocommit=True) as conn:
        conn.execute("DROP DATABASE bench_star_nofk_xs")  # ours to clean: the test made it


def test_unknown_locale():
    before = _results_snapshot()
    _one_line_error(bench("seed", "--scale", "xs", "--locale", "bogus"), "unknown locale", "en_US")
    _one_line_error(bench("run", "--scale", "xs", "--locale", "bogus"), "unknown locale")
    assert _results_snapshot() == before


@pytest.mark.parametrize("body", ["[]", "42", '"text"', '{"versions": [], "tables": {}}'])
def test_run_json_that_is_not_an_object(tmp_path, body):
    run_dir = tmp_path / "20261124T000000Z-host-abcdef0"
    run_dir.mkdir()
    (run_dir / "run.json").write_text(body)
    done = bench("validate", str(run_dir))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() and all(line.startswith("invalid: ") for line in done.stderr.strip().splitlines())
    for args in (("summary", str(run_dir)), ("compare", str(run_dir), str(run_dir))):
        _one_line_error(bench(*args), "not a valid run", "not an object")
    reports = sorted(p.name for p in config.REPORTS.rglob("*"))
    done = bench("render", "06-method", "--run", str(run_dir))
    _one_line_error(done, "not a valid run", "not an object")  # refused before a kernel starts
    assert sorted(p.name for p in config.REPORTS.rglob("*")) == reports
