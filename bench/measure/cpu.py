"""CPU on this machine during a cell: PostgreSQL's, the client side's, and whether the client
was the bottleneck.

The client side is this process and every process it started (load workers, the delay proxy,
pgbench): a proxy that forwards every packet spends CPU on the same cores as the client and the
server, so it counts as client. A cell is client-bound when a Python sender process used
>= CLIENT_BOUND of a core (the GIL caps a process near one core), or when the client side and
the server together kept >= MACHINE_BUSY of the machine's cores busy and the client side used at
least as much as PostgreSQL did.
"""
from __future__ import annotations

import threading
import time

from bench.db import pg

CLIENT_BOUND = 0.9  # of one core, per Python sender process
MACHINE_BUSY = 0.85  # of all cores, client side and server together


def client_bound(client_cores: float, server_cores: float | None, cores: int,
                 gil_cores: float | None = None) -> bool:
    if gil_cores is not None and gil_cores >= CLIENT_BOUND:
        return True
    return server_cores is not None and client_cores + server_cores >= MACHINE_BUSY * cores \
        and client_cores >= server_cores


def _machine_busy_s() -> float:
    import psutil
    t = psutil.cpu_times()
    return sum(t) - t.idle - getattr(t, "iowait", 0.0)



class ClientCPU:
    """CPU seconds of this process and its descendants (live ones read at stop, finished and
    waited-for ones through this process's children_* times)."""

    def _total(self) -> float:
        import psutil
        me = psutil.Process()
        t = me.cpu_times()
        total = t.user + t.system + t.children_user + t.children_system
        for child in me.children(recursive=True):
            try:
                c = child.cpu_times()
                total += c.user + c.system
            except Exception:  # noqa: BLE001 - a child that exited meanwhile
                pass
        return total

    def start(self) -> None:
        self.t0, self.wall0 = self._total(), time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.wall0

    def stop(self) -> float:
        return self._total() - self.t0


class ServerCPU:
    """CPU seconds of one PostgreSQL server's processes (the postmaster's children), via /proc,
    sampled every SAMPLE_S so backends that exit before the end (a closed pool) still count."""

    SAMPLE_S = 0.05

    def __init__(self, dsn: str):
        self.t0 = None
        try:
            import psutil
            with pg.connect(dsn) as conn:
                pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
                self.postmaster = psutil.Process(pid).parent()
            if "postgres" not in self.postmaster.name():  # a server on another host: a local pid means nothing
                self.postmaster = None
        except Exception:  # noqa: BLE001 - a server on another host: no server CPU, recorded as missing
            self.postmaster = None

    def _times(self) -> dict[int, float]:
        out = {}
        try:
            children = self.postmaster.children()
        except Exception:  # noqa: BLE001 - the server itself stopped: the run fails on its next statement
            return out
        for p in children:
            try:
                t = p.cpu_times()
                out[p.pid] = t.user + t.system
            except Exception:  # noqa: BLE001 - a backend that exited meanwhile
                pass
        return out

    def _sample(self) -> None:
        while not self.done.wait(self.SAMPLE_S):
            self.last.update(self._times())

    def start(self) -> None:
        self.busy0 = _machine_busy_s()
        if self.postmaster is None:
            return
        self.t0 = self._times()
        self.last = dict(self.t0)
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def stop(self) -> float | None:
        self.machine_busy_s = _machine_busy_s() - self.busy0  # every process on the machine
        if self.t0 is None:
            return None
        self.done.set()
        self.thread.join()
        self.last.update(self._times())
        return sum(v - self.t0.get(pid, 0.0) for pid, v in self.last.items())


