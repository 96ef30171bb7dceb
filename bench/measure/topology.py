"""Client and server apart: PostgreSQL (and the tier that plays PostgREST beside it) on one core,
the client side (the harness, the delay proxy, pgbench, node) on the others, where the machine
allows it: the server on this host, at least two cores in this process's affinity, and the
server's processes ours to pin (same user, or root).

`pinned(dsn)` pins for the length of a `with` block and puts every affinity back after it. The
postmaster's affinity is inherited by every backend it forks from then on; the processes already
running (checkpointer, walwriter, open backends) are pinned one by one. Child processes the
harness starts later (the delay proxy, pgbench, node) inherit the client's cores; the tier is
moved to the server's cores with `to_server(pid)`. What was done goes into run.json
(`describe`): the cores each side had, or why nothing was pinned.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

from bench.db import pg

ENV = "BENCH_PIN"  # "0": never pin (for the with/without comparison)
AWAKE_ENV = "BENCH_AWAKE"  # "0": let idle cores halt (for the with/without comparison)
PM_QOS = Path("/dev/cpu_dma_latency")

_state: dict = {"server": None, "client": None, "why": "not asked"}


def _ppid(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat[stat.rindex(")") + 2:].split()[1])


def _children(parent: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit() and _ppid(int(d.name)) == parent:
            out.append(int(d.name))
    return out


def postmaster_pid(dsn: str) -> int | None:
    """The server's postmaster, when it runs on this host as a process we can see: the parent
    of our own backend (None for a remote server or one in another PID namespace)."""
    try:
        with pg.connect(dsn, autocommit=True) as conn:  # read while our backend is alive
            backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
            try:
                comm = Path(f"/proc/{backend}/comm").read_text()
            except OSError:
                return None
            parent = _ppid(backend)
    except Exception:  # noqa: BLE001 - unreachable: nothing to pin
        return None
    return parent if "postgres" in comm or "postmaster" in comm else None


def plan(cores: set[int]) -> tuple[set[int], set[int]] | None:
    """(server cores, client cores): the lowest core for the server, the rest for the client;
    None with fewer than two cores."""
    if len(cores) < 2:
        return None
    first = min(cores)
    return {first}, cores - {first}


def _set(pid: int, cores: set[int]) -> bool:
    try:
        os.sched_setaffinity(pid, cores)
        return True
    except OSError:
        return False


@contextlib.contextmanager
def pinned(dsn: str, want: bool = True):
    """Pin the server (postmaster and its children) and this process apart for the block."""
    mine = os.sched_getaffinity(0)
    split = plan(mine)
    master = postmaster_pid(dsn) if want and split else None
    why = ("BENCH_PIN=0 or --no-pin" if not want else "fewer than two cores" if not split
           else "the server is not a process on this host" if master is None else "")
    if why or not _set(master, split[0]):
        _state.update(server=None, client=None, why=why or "the server's processes are not ours to pin")
        yield describe()
        return
    moved = [p for p in [master, *_children(master)] if _set(p, split[0])]
    _set(0, split[1])
    _state.update(server=sorted(split[0]), client=sorted(split[1]), why="", master=master)
    try:
        yield describe()
    finally:
        for p in [master, *_children(master), *moved]:
            _set(p, mine)
        _set(0, mine)
        _state.update(server=None, client=None, why="the run ended")


@contextlib.contextmanager
def awake(want: bool = True):
    """Idle cores kept polling, not halting, for the block: a latency request of 0 µs held on
    /dev/cpu_dma_latency (the kernel's PM QoS; root only). A halted vCPU wakes tens to hundreds
    of microseconds late, and the server side idles between requests spaced by the client's
    round trip. This removes the halt, not the whole cost of idling: on the reference VM the
    server side's time still grows with the pause between requests, held or not, pinned or not
    (a bare socket ping-pong too: `python -m bench.measure.tier_gap`)."""
    if not want:
        _state["awake"] = "no: BENCH_AWAKE=0"
        yield False
        return
    try:
        fd = os.open(PM_QOS, os.O_WRONLY)
    except OSError as exc:
        _state["awake"] = f"no: {PM_QOS} not writable ({exc.strerror})"
        yield False
        return
    try:
        os.write(fd, (0).to_bytes(4, "little"))
        _state["awake"] = f"yes: {PM_QOS} held at 0 us (idle cores poll instead of halting)"
        yield True
    finally:
        os.close(fd)  # the request ends with the file
        _state["awake"] = "the run ended"


def to_server(pid: int | None) -> None:
    """Move a process of the server's side (the tier) onto the server's cores, when pinned."""
    if pid and _state.get("server"):
        _set(pid, set(_state["server"]))


def describe() -> dict:
    """For run.json: {"pinned": bool, "server_cores": [...], "client_cores": [...], "why": ...}."""
    idle = {"idle_cores_kept_awake": _state.get("awake", "not asked")}
    if _state.get("server"):
        return {**idle, "pinned": True, "server_cores": _state["server"], "client_cores": _state["client"],
                "server_side": "PostgreSQL (postmaster and every backend) and the PostgREST tier",
                "client_side": "the harness, the delay proxy, pgbench and node"}
    return {**idle, "pinned": False, "why": _state.get("why", "")}


def wanted() -> bool:
    return os.environ.get(ENV, "1") != "0"


def awake_wanted() -> bool:
    return os.environ.get(AWAKE_ENV, "1") != "0"
