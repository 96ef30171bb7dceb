"""A low `ulimit -v`: one `error:` line and exit 2 with nothing written, never a traceback (nor
OpenBLAS aborting the process while numpy loads). Below the floor the CLI refuses before any heavy
import; above it, memory running out however it surfaces (MemoryError, a thread or a library that
cannot be mapped, a child that dies of it) is the same one line. A run that fails part-way under a
real limit: tests/db/test_safety_midrun.py."""
import contextlib
import io
import resource
import subprocess
import sys
import threading

import pytest

from bench import cli, config


def _under(limit: int):
    return lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


@pytest.mark.parametrize("args", [["seed", "--scale", "xs"], ["run", "read_paths", "--scale", "xs", "--quick"],
                                  ["db", "start"]])
def test_below_the_floor_every_command_is_refused_in_one_line_before_anything(args, tmp_path):
    out = tmp_path / "results"
    extra = ["--out", str(out)] if args[0] == "run" else []
    done = subprocess.run([sys.executable, "-m", "bench", *args, *extra], capture_output=True, text=True, timeout=60,
                          cwd=config.REPO, preexec_fn=_under(256 * 2**20))
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stderr.splitlines() == [
        "error: the address-space limit (`ulimit -v`) is 256 MB; the suite needs at least 1024 MB (numpy, pandas, "
        "the PostgreSQL drivers); nothing was run"], done.stderr[-2000:]
    assert not out.exists()


def _main(monkeypatch, failure: BaseException, limit: int | None = 1280 * 2**20):
    def dispatch(args):
        raise failure
    monkeypatch.setattr(cli, "_dispatch", dispatch)
    monkeypatch.setattr(cli, "_address_limit", lambda: limit)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)  # main leaves its own after saying why
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = cli.main(["seed", "--scale", "xs"])
    return code, err.getvalue()


@pytest.mark.parametrize("failure", [MemoryError(), RuntimeError("can't start new thread"),
                                     ImportError("libstdc++.so.6: failed to map segment from shared object"),
                                     RuntimeError("node client failed: # Fatal process OOM in Failed to reserve "
                                                  "virtual memory for CodeRange")])
def test_memory_running_out_however_it_surfaces_is_one_line(monkeypatch, failure):
    code, err = _main(monkeypatch, failure)
    assert code == 2 and len(err.splitlines()) == 1, err
    assert err.startswith("error: out of memory under a `ulimit -v` of 1280 MB (") and "nothing was marked complete" in err


def test_without_a_limit_an_unrelated_failure_is_not_called_memory(monkeypatch):
    with pytest.raises(RuntimeError, match="can't start new thread"):
        _main(monkeypatch, RuntimeError("can't start new thread"), limit=None)
    code, err = _main(monkeypatch, MemoryError(), limit=None)  # a MemoryError is one, limit or not
    assert code == 2 and err.startswith("error: out of memory (MemoryError")


def test_a_worker_thread_that_ran_out_first_prints_nothing_of_its_own(monkeypatch):
    def dispatch(args):
        worker = threading.Thread(target=lambda: (_ for _ in ()).throw(MemoryError("in a worker")))
        worker.start()
        worker.join()
        raise MemoryError()
    monkeypatch.setattr(cli, "_dispatch", dispatch)
    monkeypatch.setattr(cli, "_address_limit", lambda: None)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert cli.main(["seed", "--scale", "xs"]) == 2
    assert len(err.getvalue().splitlines()) == 1 and "Traceback" not in err.getvalue()
