"""Debian's PgBouncer (`apt-get install pgbouncer`, 1.18) in transaction mode in front of a
server, with the pool size Supabase's pooler uses (15): an optional path for the
direct-connection strategies.

PgBouncer 1.18 does not track protocol-level prepared statements (1.21 does): in transaction
mode a statement prepared on one server connection is unknown on the next. Connections through
it therefore use `PREPARE_THRESHOLD = None` (psycopg never prepares by name; every statement
goes as an unnamed parse/bind/execute), which is what a Supabase client must do against
this pooler; `pooled_connect` applies it and run.json should say so.
"""
from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from bench import config
from bench.config import UsageError
from bench.db import passfile

BINARY = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
POOL_SIZE = 15  # Supabase's pooler default
PREPARE_THRESHOLD = None  # 1.18 loses named statements across transactions
HOME = config.DATA / "pgbouncer"
RUN_AS = "postgres"  # pgbouncer refuses to run as root


def installed() -> bool:
    return Path(BINARY).exists()


@dataclass
class Bouncer:
    port: int
    proc: subprocess.Popen

    def dsn(self, dsn: str) -> str:
        """`dsn` routed through the pooler (password pinned: a passfile line for the server's
        port would not match the pooler's)."""
        params = passfile.pin_password(dsn)
        params.pop("passfile", None)
        params.update(host="127.0.0.1", port=self.port)
        return psycopg.conninfo.make_conninfo(**params)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def start(dsn: str, home: Path | None = None, pool_size: int = POOL_SIZE) -> Bouncer:
    """A transaction-mode PgBouncer on a free loopback port in front of the server of `dsn`."""
    if not installed():
        raise UsageError("pgbouncer is not installed: apt-get install pgbouncer (or `make pg15`)")
    params = passfile.pin_password(dsn)
    user, password = params.get("user"), params.get("password")
    if not user or not password:
        raise UsageError("PgBouncer needs the DSN's user and a password (in the DSN or its passfile)")
    home = (home or HOME).resolve()
    home.mkdir(parents=True, exist_ok=True)
    from bench.db.debian_cluster import _free_port

    port = _free_port()
    userlist = home / "userlist.txt"
    fd = os.open(userlist, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write('"{}" "{}"\n'.format(user.replace('"', '""'), password.replace('"', '""')))
    os.chmod(userlist, 0o600)  # a password in it: owner only, also when the file existed before
    ini = home / "pgbouncer.ini"
    ini.write_text(
        "[databases]\n"
        f"* = host={params.get('host') or '127.0.0.1'} port={params.get('port') or 5432}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = scram-sha-256\nauth_file = {userlist}\n"
        f"pool_mode = transaction\ndefault_pool_size = {pool_size}\nmax_client_conn = 500\n"
        "ignore_startup_parameters = extra_float_digits,options\n"
        f"logfile = {home / 'pgbouncer.log'}\npidfile = {home / 'pgbouncer.pid'}\n")
    kwargs = {}
    if os.geteuid() == 0:
        pw = pwd.getpwnam(RUN_AS)
        for path in (home, userlist, ini):
            os.chown(path, pw.pw_uid, pw.pw_gid)
        kwargs = {"user": RUN_AS, "group": pw.pw_gid, "extra_groups": []}
    proc = subprocess.Popen([BINARY, str(ini)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs)
    bouncer = Bouncer(port, proc)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with psycopg.connect(bouncer.dsn(dsn), connect_timeout=2):
                return bouncer
        except psycopg.OperationalError:
            if proc.poll() is not None:
                break
            time.sleep(0.1)
    bouncer.stop()
    raise RuntimeError(f"pgbouncer did not come up; see {home / 'pgbouncer.log'}")


def pooled_connect(dsn: str, **kwargs) -> psycopg.Connection:
    conn = psycopg.connect(dsn, **kwargs)
    conn.prepare_threshold = PREPARE_THRESHOLD
    return conn
