"""The embedded server's lifecycle on a private cluster: concurrent starts, crash recovery, the marker."""
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import psutil
import pytest

from bench.db import pg
from bench.config import UsageError

pytestmark = [pytest.mark.db, pytest.mark.slow]


@pytest.fixture(scope="module")
def private(tmp_path_factory):
    home = tmp_path_factory.mktemp("pg")
    emb = pg.Embedded(home)
    yield emb
    emb.stop()


def test_concurrent_starts_make_one_server(private):
    code = ("import sys; from pathlib import Path; from bench.db import pg; "
            "print(pg.Embedded(Path(sys.argv[1])).start().pid)")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(private.home)], stdout=subprocess.PIPE, text=True)
             for _ in range(3)]
    pids = {p.communicate(timeout=120)[0].strip() for p in procs}
    assert all(p.returncode == 0 for p in procs)
    assert len(pids) == 1
    postmasters = [p for p in psutil.process_iter(["name", "cmdline"])
                   if p.info["name"] == "postgres" and str(private.pgdata) in " ".join(p.info["cmdline"] or [])
                   and "-D" in (p.info["cmdline"] or [])]
    assert len(postmasters) == 1


def test_threads_in_one_process_also_share_the_server(private):
    with ThreadPoolExecutor(4) as pool:
        pids = {r.pid for r in pool.map(lambda _: private.start(), range(4))}
    assert len(pids) == 1


def test_recovers_from_a_crash_with_stale_postmaster_pid(private):
    running = private.start()
    psutil.Process(running.pid).kill()  # kill -9 the postmaster: postmaster.pid stays behind
    psutil.Process(running.pid).wait(10)
    pidfile = private.pgdata / "postmaster.pid"
    assert pidfile.exists()
    lines = pidfile.read_text().splitlines()
    lines[0] = str(os.getpid())  # worse still: the pid now belongs to a live, unrelated process
    pidfile.write_text("\n".join(lines) + "\n")
    assert private.status() is None
    again = private.start()
    assert again.pid != running.pid
    with pg.connect(again.dsn(tcp=True)) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_tcp_and_socket_and_pg_stat_statements(private):
    running = private.start()
    with pg.connect(running.dsn(tcp=True)) as conn:
        assert conn.execute("SHOW shared_preload_libraries").fetchone() == ("pg_stat_statements",)
        assert conn.execute("SELECT count(*) >= 0 FROM pg_stat_statements").fetchone() == (True,)
    with pg.connect(running.dsn()) as conn:
        assert conn.execute("SELECT inet_server_addr()").fetchone() == (None,)  # unix socket


def test_refuses_a_database_without_the_marker(server):
    with pg.connect(server, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS not_ours")
        conn.execute("CREATE DATABASE not_ours")
    with pytest.raises(UsageError, match="--force-foreign-db"):
        pg.create_database(server, "not_ours")
    assert pg.database_exists(server, "not_ours")
    pg.create_database(server, "not_ours", force=True)
    assert pg.has_marker(pg.with_dbname(server, "not_ours"))
