"""`python -m bench <verb>`: argument parsing and error reporting only; the work is in the modules."""
from __future__ import annotations

import argparse
import errno
import logging
import re
import resource
import sys
import threading
from pathlib import Path

from bench import config
from bench.config import UsageError

# Below this address-space limit (`ulimit -v`) the imports alone fail, some of them where Python
# cannot catch it (OpenBLAS aborts the process while numpy loads): refused before any import.
MIN_ADDRESS_SPACE = 1 << 30
_MEMORY = re.compile(r"out of memory|cannot allocate|can't start new thread|failed to map segment|\bOOM\b"
                     r"|virtual memory", re.I)

# psycopg's pool logs every failed reconnect and every broken connection it discards: hundreds of
# lines once the server has stopped. The command ends with one `error:` line that says so instead.
_GONE_LOG = re.compile(r"connection failed|server closed the connection|connection refused|shutting down"
                       r"|terminating connection|discarding closed connection|closing returned connection"
                       r"|error ignored in rollback", re.I)


class _NoServerGoneNoise(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not _GONE_LOG.search(record.getMessage())


def _quiet_server_gone_logs() -> None:
    for name in ("psycopg", "psycopg.pool"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _NoServerGoneNoise) for f in logger.filters):
            logger.addFilter(_NoServerGoneNoise())


def _dsn(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dsn", default=None,
                   help=f"libpq DSN of an existing server to use instead of the embedded one (or ${config.DSN_ENV})")


def _dataset(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scale", default=config.DEFAULT_SCALE, help=f"one of {', '.join(config.SCALES)} (default %(default)s)")
    p.add_argument("--seed", type=int, default=config.DEFAULT_SEED, help="random seed (default %(default)s)")
    p.add_argument("--locale", default=config.DEFAULT_LOCALE, help="Faker locale (default %(default)s)")
    p.add_argument("--variant", default="star", help="star, relational or star_nofk (default %(default)s)")
    p.add_argument("--indexes", default="as-written", help="as-written (the memo: no user_id index) or indexed")
    p.add_argument("--force-foreign-db", action="store_true",
                   help="allow dropping a database of the same name that the suite did not create")


MAX_SHOWN = 300  # characters of an error message: a 100 KB bad value is not echoed in full


def _short(text: str) -> str:
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + f"... ({len(text):,} characters, cut)"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {_short(message)}\n")


def parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="python -m bench", description="Benchmarks the star-schema memo on PostgreSQL.")
    verbs = ap.add_subparsers(dest="verb", required=True, metavar="VERB")

    db = verbs.add_parser("db", help="the embedded PostgreSQL: start, stop, status, url")
    db.add_argument("action", choices=("start", "stop", "status", "url"))
    db.add_argument("--tcp", action="store_true", help="with url: the TCP address instead of the unix socket")
    db.add_argument("--server", choices=("embedded", "pg15"), default="embedded",
                    help="embedded (PostgreSQL 18, data/pg) or pg15 (Debian's postgresql-15, data/pg15)")
    _dsn(db)

    seed = verbs.add_parser("seed", help="create and seed one dataset (reused when its manifest matches)")
    _dsn(seed)
    _dataset(seed)
    seed.add_argument("--orphans", type=float, default=0.0, metavar="FRACTION",
                      help="inject orphan spoke rows for this fraction of users (star, star_nofk)")
    seed.add_argument("--fresh", action="store_true", help="reseed even if a matching dataset exists")
    seed.add_argument("--benchmark", action="store_true",
                      help="reseed and compare rows/s per table with a raw COPY of the same rows")
    seed.add_argument("--no-progress", action="store_true", help="no progress bars")

    run = verbs.add_parser("run", help="run experiments into a new results folder (one per server)")
    run.add_argument("--dsn", action="append", default=None,
                     help=f"libpq DSN of an existing server (or ${config.DSN_ENV}); repeat for several servers")
    run.add_argument("--servers", default=None, metavar="LIST",
                     help="comma list of embedded, pg15 (Debian's PostgreSQL 15, started under data/pg15): the "
                          "first server's run folder in --out, each other's beside it in <out>/servers/<run-id>/ "
                          "(the pages show them side by side; `compare` cell by cell)")
    _dataset(run)  # --scale takes a comma list here: s,m
    run.add_argument("experiments", nargs="*", help="experiment names (default: all)")
    run.add_argument("--quick", action="store_true", help="small matrix, for tests")
    run.add_argument("--no-extra-scales", action="store_true",
                     help="only the scales given: skip steps that need another (rls's forms at l)")
    run.add_argument("--out", type=Path, default=config.RESULTS, help="results root (default data/results)")

    val = verbs.add_parser("validate", help="check a results folder")
    val.add_argument("run_dir", type=Path)

    summ = verbs.add_parser("summary", help="one row per experiment x strategy x condition")
    summ.add_argument("run_dir", type=Path)
    summ.add_argument("--format", choices=("table", "csv"), default="table")

    from bench.results import compare  # numpy and pandas: only once the address space is known to suffice

    cmp_ = verbs.add_parser("compare", help="two runs side by side: ratio per cell, marked only beyond noise")
    cmp_.add_argument("run_a", type=Path)
    cmp_.add_argument("run_b", type=Path)
    cmp_.add_argument("--threshold", type=float, default=compare.BETWEEN_RUNS_MARGIN,
                      help="the margin (default %(default)s: the A/A twin at m, run twice with nothing changed, calls 5 %% "
                      "of cells changed at 30 %% and 30 %% of them at 10 %%; within one run 10 %% suffices)")
    cmp_.add_argument("--format", choices=("table", "csv"), default="table")

    ren = verbs.add_parser("render", help="execute the notebooks against a run and write reports/")
    ren.add_argument("notebooks", nargs="*", help="notebook names, e.g. 01-dataset (default: all)")
    ren.add_argument("--run", dest="run_dir", type=Path, default=None,
                     help="results folder (default: data/reference, else the newest run in data/results)")
    return ap


def main(argv: list[str] | None = None) -> int:
    limit = _address_limit()
    if limit is not None and limit < MIN_ADDRESS_SPACE:
        print(f"error: the address-space limit (`ulimit -v`) is {limit >> 20} MB; the suite needs at least "
              f"{MIN_ADDRESS_SPACE >> 20} MB (numpy, pandas, the PostgreSQL drivers); nothing was run", file=sys.stderr)
        return 2
    _quiet_server_gone_logs()
    held = _HeldThreadFailures()
    try:
        args = parser().parse_args(argv)
        return _dispatch(args)
    except UsageError as exc:
        held.drop()  # e.g. the server went away: threads that lost it too say nothing more
        print(f"error: {_short(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        _end_progress_lines()
        print("interrupted: nothing marked complete", file=sys.stderr)
        return 130
    except Exception as exc:
        first = " ".join(str(exc).split())[:200] or type(exc).__name__
        if _out_of_memory(exc):
            held.drop()
            _end_progress_lines()
            under = f" under a `ulimit -v` of {limit >> 20} MB" if limit is not None else ""
            print(f"error: out of memory{under} ({type(exc).__name__}: {first}); nothing was marked complete: "
                  "raise the limit (`ulimit -v unlimited`) and rerun", file=sys.stderr)
            return 2
        if not _server_gone(exc):
            raise
        held.drop()
        _end_progress_lines()
        print(f"error: the PostgreSQL server went away during this command ({first}); nothing was written: start "
              "it again (`python -m bench db start`) and rerun", file=sys.stderr)
        return 2
    finally:
        held.close()


class _HeldThreadFailures:
    """A worker thread that dies because the server went away or memory ran out would print its own
    traceback around the command's one `error:` line; such tracebacks are held, and printed only if
    the command does not end with that line (once it has, later ones from threads still winding
    down are dropped too)."""

    def __init__(self):
        self.default = threading.excepthook
        self.held: list = []
        self.said = False
        threading.excepthook = self._hook

    def _hook(self, args) -> None:
        exc = args.exc_value
        if exc is not None and (_server_gone(exc) or _out_of_memory(exc)):
            if not self.said:
                self.held.append(args)
        else:
            self.default(args)

    def drop(self) -> None:
        """The command ends with the one line that explains them."""
        self.said = True
        self.held.clear()

    def close(self) -> None:
        if not self.said:
            threading.excepthook = self.default
        for args in self.held:
            self.default(args)
        self.held.clear()


def _end_progress_lines() -> None:
    """Close the progress bars an interrupt left open, so what follows starts on a line of its own
    (a bar is redrawn with a carriage return and ends its line only when it is closed)."""
    tqdm = getattr(sys.modules.get("tqdm"), "tqdm", None)
    bars = list(getattr(tqdm, "_instances", ()))
    for bar in bars:
        try:
            bar.close()
        except Exception:
            pass
    if bars:
        sys.stderr.flush()


def _address_limit() -> int | None:
    """The soft address-space limit in bytes (`ulimit -v`), or None when there is none."""
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    return None if soft == resource.RLIM_INFINITY else soft


def _out_of_memory(exc: BaseException | None) -> bool:
    """Memory ran out, however it surfaced: a MemoryError, a thread or a shared library that could
    not be mapped, a child (node, PostgREST) that died for want of address space."""
    limited = _address_limit() is not None
    while exc is not None:
        if isinstance(exc, MemoryError) or (isinstance(exc, OSError) and exc.errno == errno.ENOMEM):
            return True
        if limited and _MEMORY.search(str(exc)):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _server_gone(exc: BaseException) -> bool:
    """A lost connection to the server (crash, shutdown, terminated backend), however it surfaced."""
    import psycopg

    while exc is not None:
        if isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError)):
            state = getattr(exc, "sqlstate", None)  # none: the connection broke; 57P0x: shut down; 08: connection
            if state is None or state.startswith(("57P0", "08")):
                return True
        exc = exc.__cause__ or exc.__context__
    return False


def _dispatch(args) -> int:
    from bench import commands

    return getattr(commands, args.verb)(args)
