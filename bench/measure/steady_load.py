"""The application at a steady rate while something else happens: one thread per request kind,
each on its own connection (application_name `evolution_<kind>`, so a lock sampler can tell
which kind waits), sending requests on a fixed schedule. Latency is measured from the intended
start (open loop), so requests queued behind a lock count their whole wait.

Kinds: `signup` (an auth.users insert; the memo's trigger writes profile and state),
`sign_in` (auth.users.last_sign_in_at), `profile_update`, `spoke_write` (an audit entry) and
`read` (the 'account' bundle as the memo fetches it, star_parallel from bench.measure.strategies).
"""
from __future__ import annotations

import random
import threading
import time
import uuid
from dataclasses import dataclass

import psycopg

from bench.measure import bundles, strategies
from bench.sql import sql_text

STATEMENTS = {"signup": "integrity/signup/user.sql", "sign_in": "integrity/flow/hold_update_last_sign_in.sql",
              "profile_update": "evolution/load/profile_update.sql", "spoke_write": "evolution/load/spoke_write.sql"}
KINDS = (*STATEMENTS, "read")
APP_PREFIX = "evolution_"
TIMEOUT = "30s"  # lock_timeout and statement_timeout of the load: a stuck request is an error, not a hang


@dataclass
class Request:
    kind: str
    intended_ns: int
    start_ns: int
    end_ns: int
    error: str | None


def describe(exc: Exception) -> str:
    """sqlstate where the driver gives one, else the first words of the message."""
    state = getattr(exc, "sqlstate", None)
    return state or " ".join(str(exc).split())[:60] or type(exc).__name__


def kind_dsn(dsn: str, kind: str) -> str:
    return psycopg.conninfo.make_conninfo(dsn, application_name=APP_PREFIX + kind,
                                          options=f"-c lock_timeout={TIMEOUT} -c statement_timeout={TIMEOUT}")


class SteadyLoad:
    """Start with `with SteadyLoad(dsn, rates, users, seed) as load:`; `load.requests` grows as
    requests finish. `rates`: requests per second per kind."""

    def __init__(self, dsn: str, rates: dict[str, float], users: list[str], seed: int):
        self.dsn, self.rates, self.users, self.seed = dsn, rates, users, seed
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._loop, args=(k, r), daemon=True, name=APP_PREFIX + k)
                         for k, r in rates.items() if r > 0]

    def __enter__(self):
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for t in self._threads:
            t.join(timeout=60)

    def between(self, t0_ns: int, t1_ns: int) -> list[Request]:
        """Requests intended to start in [t0, t1)."""
        with self._lock:
            return [r for r in self.requests if t0_ns <= r.intended_ns < t1_ns]

    def _loop(self, kind: str, rate: float) -> None:
        rng = random.Random(f"{self.seed}:{kind}")
        send = self._reader() if kind == "read" else self._writer(kind, rng)
        interval = int(1e9 / rate)
        next_ns = time.perf_counter_ns()
        try:
            while not self._stop.is_set():
                now = time.perf_counter_ns()
                if next_ns > now:
                    time.sleep((next_ns - now) / 1e9)
                start = time.perf_counter_ns()
                error = None
                try:
                    send(rng.choice(self.users))
                except Exception as exc:  # recorded, never dropped: a timeout or a lock error is a result
                    error = describe(exc)
                    if kind == "read":  # a client reconnects after a failed request (its prepared statements go)
                        send.close()
                        send = self._reader()
                with self._lock:
                    self.requests.append(Request(kind, next_ns, start, time.perf_counter_ns(), error))
                next_ns += interval
        finally:
            send.close()

    def _writer(self, kind: str, rng: random.Random):
        conn = psycopg.connect(kind_dsn(self.dsn, kind), autocommit=True)
        text = sql_text(STATEMENTS[kind])

        def send(user_id: str) -> None:
            if kind == "signup":
                new = str(uuid.uuid4())  # fresh per request: a rerun on the same database never collides
                conn.execute(text, {"id": new, "email": f"evo-{new}@bench.invalid", "full_name": "Evolution User"})
            else:
                conn.execute(text, {"id": user_id})
        send.close = conn.close
        return send

    def _reader(self):
        src = strategies.Source(kind_dsn(self.dsn, "read"))
        bundle = bundles.load("account")

        def send(user_id: str) -> None:
            strategies.star_parallel(src, bundle, user_id)
        send.close = src.close
        return send
