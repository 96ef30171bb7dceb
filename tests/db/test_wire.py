"""The lean wire lets other threads of the process run while it waits on the server."""
import threading
import time

import pytest

from bench.db import pg
from bench.measure import strategies
from bench.measure.wire import Wire

pytestmark = pytest.mark.db
SLEEP = "SELECT pg_sleep(0.3), $1::text"


def _progress_while(call) -> tuple[float, float]:
    """Counts made by another thread per second while `call` runs, and with nothing to wait on."""
    def counting(stop: threading.Event, out: list) -> None:
        n = 0
        while not stop.is_set():
            n += 1
        out.append(n)

    def rate(fn) -> float:
        stop, out = threading.Event(), []
        worker = threading.Thread(target=counting, args=(stop, out))
        t0 = time.perf_counter()
        worker.start()
        fn()
        stop.set()
        worker.join()
        return out[0] / (time.perf_counter() - t0)
    return rate(call), rate(lambda: time.sleep(0.3))


@pytest.fixture
def wire(server):
    with pg.connect(pg.tcp_dsn(server), autocommit=True) as conn:
        yield Wire(conn)


@pytest.mark.parametrize("how", ["batch", "execute"])
def test_another_thread_runs_while_the_wire_waits(wire, how):
    call = {"batch": lambda: wire.batch([(SLEEP, [b"a"]), (SLEEP, [b"b"])]),
            "execute": lambda: wire.execute(SLEEP, [b"a"])}[how]
    call()  # prepared outside the measurement
    busy, idle = _progress_while(call)
    assert busy > 0.3 * idle, f"{how}: the other thread made {busy:.0f}/s while waiting, {idle:.0f}/s idle"


def test_batch_returns_every_result_and_raises_on_failure(wire):
    results = wire.batch([("SELECT $1::int + 1", [b"1"]), ("SELECT $1::text", [b"x"])])
    assert [r.get_value(0, 0) for r in results] == [b"2", b"x"]
    with pytest.raises(Exception, match="division by zero"):
        wire.batch([("SELECT 1 / $1::int", [b"0"]), ("SELECT $1::text", [b"y"])])
    assert wire.batch([("SELECT $1::text", [b"again"])])[0].get_value(0, 0) == b"again"  # still usable


def test_star_parallel_overlaps_its_three_waits_on_one_thread(server, monkeypatch):
    """One thread drives three connections: three 0.3 s statements take about 0.3 s, not 0.9 s."""
    from bench.measure.bundles import Bundle

    bundle = Bundle("sleepy", ("a", "b", "c"), {p: "SELECT pg_sleep(0.3), $1::text AS v" for p in "abc"}, "", "")
    with strategies.Source(pg.tcp_dsn(server)) as src:
        strategies.star_parallel(src, bundle, "u")
        threads = threading.active_count()
        t0 = time.perf_counter()
        fetch = strategies.star_parallel(src, bundle, "u")
        elapsed = time.perf_counter() - t0
        assert threading.active_count() == threads
    assert sorted(fetch.answer) == ["a", "b", "c"]
    assert elapsed < 0.6, f"three parts took {elapsed:.2f} s"
