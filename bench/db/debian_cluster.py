"""A second real server: Debian's PostgreSQL 15 (`apt-get install postgresql-15`) as a separate
cluster under data/pg15, on loopback only, started and stopped by the suite.

The suite then treats it exactly as an external server given by DSN: nothing else in the suite
knows that it started it. As root the server runs as Debian's `postgres` system user (the
package creates it). Locked down as the embedded server: the socket directory is private
(0700) with trust on it, TCP asks for scram-sha-256.

Settings: the suite's own cluster (`suite_cluster()`, data/pg15) starts with the embedded server's
only measurement-relevant non-default settings (`pg.STATS_SETTINGS`: pg_stat_statements preloaded,
track = all), so that 15 beside 18 compares two majors configured alike, not a server that pays
for statement tracking on every statement beside one that does not. Other clusters (the tests')
keep the package defaults: no pg_stat_statements, standing for a managed server that lacks it.
Settings go on the command line (`-c`), so a cluster started with other settings is restarted.
"""
from __future__ import annotations

import hashlib
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from bench import config
from bench.config import UsageError
from bench.db import pg, roles

MAJOR = 15
BIN = Path(f"/usr/lib/postgresql/{MAJOR}/bin")
SYSTEM_USER = "postgres"
HOME = config.DATA / f"pg{MAJOR}"
LOGIN = "bench"
HBA = """# bench pg15: private socket directory (0700) with trust; TCP needs a password
local   all  all                 trust
host    all  all  127.0.0.1/32   scram-sha-256
"""


def installed() -> bool:
    return (BIN / "postgres").exists()


@dataclass(frozen=True)
class Cluster:
    port: int
    socket_dir: Path

    def superuser_dsn(self, dbname: str = "postgres") -> str:
        """Over the private socket (trust): for setting the cluster up, never for a run."""
        return psycopg.conninfo.make_conninfo(host=str(self.socket_dir), port=self.port, user="postgres",
                                              dbname=dbname)

    def tcp_dsn(self, user: str, password: str, dbname: str = "postgres") -> str:
        return psycopg.conninfo.make_conninfo(host="127.0.0.1", port=self.port, user=user, password=password,
                                              dbname=dbname)


class DebianCluster:
    def __init__(self, home: Path | None = None, settings: dict[str, str] | None = None):
        self.home = (home or HOME).resolve()
        self.pgdata = self.home / "cluster"
        self.log = self.home / "server.log"
        self.settings = dict(settings or {})
        self.as_root = os.geteuid() == 0

    def start(self) -> Cluster:
        if not installed():
            raise UsageError(f"PostgreSQL {MAJOR} is not installed ({BIN}/postgres missing): "
                             f"apt-get install postgresql-{MAJOR}, or `make pg15`")
        running = self.status()
        if running and self._has_settings(running):
            return running
        if running:
            self.stop()
        self._init()
        sock = self._socket_dir()
        port = _free_port()
        opts = " ".join([f"-c listen_addresses=127.0.0.1 -p {port} -k {sock}",
                         *(f"-c {name}={value}" for name, value in self.settings.items())])
        self._run([str(BIN / "pg_ctl"), "-D", str(self.pgdata), "-l", str(self.log), "-w", "-t", "60",
                   "-o", opts, "start"])
        running = self.status()
        if running is None:
            raise RuntimeError(f"PostgreSQL {MAJOR} did not come up; see {self.log}")
        return running

    def _has_settings(self, running: Cluster) -> bool:
        if not self.settings:
            return True
        with psycopg.connect(running.superuser_dsn(), autocommit=True) as conn:
            return all(conn.execute("SELECT current_setting(%s, true)", (name,)).fetchone()[0] == value
                       for name, value in self.settings.items())

    def login_dsn(self, running: Cluster) -> str:
        """A TCP DSN of a superuser login role `bench` whose generated password lives in
        data/pg15/pgpass (0600): what `--dsn` is given, as for any external server."""
        passfile = self.home / "pgpass"
        if not passfile.exists():
            fd = os.open(passfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(f"*:*:*:{LOGIN}:{secrets.token_urlsafe(24)}\n")
        password = passfile.read_text().strip().split(":", 4)[4]
        with psycopg.connect(running.superuser_dsn(), autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (LOGIN,)).fetchone() is None:
                conn.execute(sql.SQL("CREATE ROLE {} LOGIN SUPERUSER").format(sql.Identifier(LOGIN)))
            roles.set_password(conn, LOGIN, password)  # a SCRAM verifier: the plaintext never reaches the server
        return psycopg.conninfo.make_conninfo(host="127.0.0.1", port=running.port, user=LOGIN, dbname="postgres",
                                              passfile=str(passfile))

    def status(self) -> Cluster | None:
        try:
            lines = (self.pgdata / "postmaster.pid").read_text().splitlines()
        except (FileNotFoundError, PermissionError):
            return None
        if len(lines) < 8 or lines[7].strip() != "ready":
            return None
        try:
            os.kill(int(lines[0]), 0)
        except (ProcessLookupError, ValueError):
            return None
        return Cluster(port=int(lines[3]), socket_dir=Path(lines[4].strip()))

    def stop(self) -> bool:
        if self.status() is None:
            return False
        self._run([str(BIN / "pg_ctl"), "-D", str(self.pgdata), "-w", "-m", "fast", "stop"])
        return True

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)

    # -- internals ----------------------------------------------------------------------------
    def _init(self) -> None:
        if (self.pgdata / "PG_VERSION").exists():
            return
        if self.pgdata.exists():
            shutil.rmtree(self.pgdata)
        self.pgdata.mkdir(parents=True)
        if self.as_root:
            pg.ensure_traversable(self.pgdata)  # the system user must reach data/pg15
            self._chown(self.home)
            self._chown(self.pgdata)
        self._run([str(BIN / "initdb"), "-D", str(self.pgdata), "-U", "postgres", "--auth-local=trust",
                   "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8", "--no-instructions"])
        (self.pgdata / "pg_hba.conf").write_text(HBA)

    def _socket_dir(self) -> Path:
        digest = hashlib.sha1(str(self.home).encode()).hexdigest()[:10]
        sock = Path(tempfile.gettempdir()) / f"bench-pg{MAJOR}-{digest}"
        sock.mkdir(mode=0o700, exist_ok=True)
        sock.chmod(0o700)
        if self.as_root:
            self._chown(sock)
        return sock

    def _chown(self, path: Path) -> None:
        pw = pwd.getpwnam(SYSTEM_USER)
        os.chown(path, pw.pw_uid, pw.pw_gid)

    def _run(self, cmd: list[str]) -> None:
        kwargs = {"user": SYSTEM_USER, "group": pwd.getpwnam(SYSTEM_USER).pw_gid, "extra_groups": []} \
            if self.as_root else {}
        with tempfile.TemporaryFile("w+") as out:  # a file, not a pipe: the server inherits it
            done = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, cwd="/", **kwargs)
            if done.returncode:
                out.seek(0)
                raise RuntimeError(f"{Path(cmd[0]).name} failed ({done.returncode}): {out.read().strip()[-2000:]}")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def suite_cluster() -> DebianCluster:
    """The cluster `make pg15`, `db --server pg15` and `run --servers pg15` use (data/pg15)."""
    return DebianCluster(settings=pg.STATS_SETTINGS)
