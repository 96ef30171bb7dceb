"""Results store: run folders written once, validated, read and summarised.

A run folder `data/results/<UTC-timestamp>-<host>-<sha7>/` holds `run.json` and one
long-format `<experiment>.parquet` per experiment. It is written under a hidden `.partial`
name of its own process and renamed only when complete, so an interrupted run never looks
finished; the rename happens under the results root's file lock, and a run that finishes in the
same second as another takes the next free name (`<host>-2`, `<host>-3`, ...).
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import socket
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from bench import config
from bench.results import stats

RUN_NAME = re.compile(r"^\d{8}T\d{6}Z-[A-Za-z0-9_.-]+-[0-9a-z]{7}$")
REQUIRED_META = ("git_sha", "git_dirty", "versions", "machine", "topology", "scale", "seed", "fingerprint",
                 "command", "tables", "complete")
REQUIRED_VERSIONS = ("python", "psycopg", "faker", "postgresql")
REQUIRED_COLUMNS = ("experiment", "strategy", "scale")
CONDITIONS = ("bundle", "envelope", "indexes", "cache", "rtt_ms", "clients", "variant", "condition", "client")
SUMMARY_COLUMNS = ("experiment", "strategy", "scale", "bundle", "envelope", "indexes", "cache", "rtt_ms", "clients",
                   "variant", "condition", "client", "n",
                   "p50_us", "mean_us", "p95_us", "p99_us", "p50_rep_lo_us", "p50_rep_hi_us", "reps",
                   "p50_rep_logmean", "p50_rep_logsd")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class RunWriter:
    """`with RunWriter(meta) as run: run.write_table(name, df)`; renamed into place on success."""

    def __init__(self, meta: dict, root: Path | None = None):
        self.root = Path(root or config.RESULTS)
        self.stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        self.host = re.sub(r"[^A-Za-z0-9_.-]", "-", socket.gethostname())[:40] or "host"
        self.sha = (meta.get('git_sha') or 'nogit')[:7].ljust(7, '0')
        self.name = f"{self.stamp}-{self.host}-{self.sha}"
        self.path = self.root / self.name
        self.tmp = self.root / f".{self.name}.{os.getpid()}.{id(self):x}.partial"
        self.meta = dict(meta)
        self.tables: dict[str, dict] = {}

    def __enter__(self) -> RunWriter:
        self.root.mkdir(parents=True, exist_ok=True)
        if self._stale_partials():
            with _locked(self.root):
                for stale in self._stale_partials():
                    shutil.rmtree(stale, ignore_errors=True)
                    print(f"removed {stale}: an unfinished run folder of process {_partial_pid(stale)}, which "
                          "was killed while writing it (nothing in it was ever a run)", file=sys.stderr)
        self.tmp.mkdir()
        return self

    def _stale_partials(self) -> list[Path]:
        """This host's hidden `.partial` folders whose writing process is gone (kill -9 leaves them)."""
        found = []
        for path in sorted(self.root.glob(".*.partial")):
            pid = _partial_pid(path)
            if path.is_dir() and pid is not None and f"-{self.host}-" in path.name and not _alive(pid):
                found.append(path)
        return found

    def add_meta(self, **kv) -> None:
        self.meta.update(kv)

    def write_table(self, experiment: str, df: pd.DataFrame) -> None:
        missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
        if missing:
            raise ValueError(f"table {experiment} lacks columns {missing}")
        path = self.tmp / f"{experiment}.parquet"
        df.to_parquet(path, index=False)
        self.tables[experiment] = {"rows": len(df), "sha256": _sha256(path)}

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return
        try:
            self._finish()
        except BaseException:  # Ctrl-C (or a full disk) while naming and moving it in: no folder stays behind
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise

    def _finish(self) -> None:
        with _locked(self.root):
            n = 1
            while self.path.exists():  # another run took this second's name
                n += 1
                self.name = f"{self.stamp}-{self.host}-{n}-{self.sha}"
                self.path = self.root / self.name
            self.meta.update(tables=self.tables, complete=True, run_id=self.name,
                             finished_at=datetime.now(UTC).isoformat(timespec="seconds"))
            (self.tmp / "run.json").write_text(json.dumps(self.meta, indent=2, sort_keys=True, default=str))
            self.tmp.rename(self.path)


PARTIAL = re.compile(r"^\..+\.(\d+)\.[0-9a-f]+\.partial$")


def _partial_pid(path: Path) -> int | None:
    m = PARTIAL.match(path.name)
    return int(m.group(1)) if m else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


@contextlib.contextmanager
def _locked(root: Path):
    """The results root, one writer at a time while a run folder is named and moved in."""
    with open(root / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def validate(run_dir: Path) -> list[str]:
    """Problems with a run folder; empty when it is a complete, intact run."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        return [f"{run_dir} is not a folder"]
    if run_dir.name.startswith(".") or run_dir.name.endswith(".partial"):
        return [f"{run_dir.name} is an unfinished (partial) run"]
    problems = []
    if not RUN_NAME.match(run_dir.name):
        problems.append(f"folder name {run_dir.name!r} is not <UTC-timestamp>-<host>-<sha7>")
    try:
        meta = json.loads((run_dir / "run.json").read_text())
    except FileNotFoundError:
        return problems + ["run.json is missing"]
    except json.JSONDecodeError as exc:
        return problems + [f"run.json does not parse: {exc}"]
    if not isinstance(meta, dict):
        return problems + [f"run.json holds a JSON {type(meta).__name__}, not an object"]
    for key in ("versions", "tables"):
        if not isinstance(meta.get(key, {}), dict):
            return problems + [f"run.json's {key!r} is not an object"]
    problems += [f"run.json lacks {k!r}" for k in REQUIRED_META if k not in meta]
    if meta.get("complete") is not True:
        problems.append("run.json does not say complete: true")
    problems += [f"run.json versions lack {k!r}" for k in REQUIRED_VERSIONS if k not in meta.get("versions", {})]
    tables = meta.get("tables", {})
    listed = set(tables)
    present = {p.stem for p in run_dir.glob("*.parquet")}
    problems += [f"{name}.parquet is listed in run.json but missing" for name in sorted(listed - present)]
    problems += [f"{name}.parquet is not listed in run.json" for name in sorted(present - listed)]
    for name in sorted(listed & present):
        problems += _check_table(run_dir / f"{name}.parquet", tables[name])
    return problems


def _check_table(path: Path, listed: dict) -> list[str]:
    if not isinstance(listed, dict):
        return [f"run.json's tables[{path.stem!r}] is not an object (rows, sha256)"]
    if _sha256(path) != listed.get("sha256"):
        return [f"{path.name} changed after the run (sha256 differs)"]
    try:
        df = pd.read_parquet(path)
    except Exception as exc:  # 0 bytes, truncated, not parquet: said in one line, never a traceback
        first = " ".join(str(exc).split())[:160] or type(exc).__name__
        return [f"{path.name} does not read as a parquet table ({first})"]
    problems = []
    if len(df) != listed.get("rows"):
        problems.append(f"{path.name} has {len(df)} rows, run.json says {listed.get('rows')}")
    problems += [f"{path.name} lacks column {c!r}" for c in REQUIRED_COLUMNS if c not in df.columns]
    for col in (c for c in df.columns if c.endswith("_us")):
        values = pd.to_numeric(df[col], errors="coerce")
        if values.isna().sum() > df[col].isna().sum() or (values < 0).any():
            problems.append(f"{path.name}: {col} must hold non-negative numbers")
    return problems


@dataclass
class Run:
    path: Path
    meta: dict = field(repr=False)

    @property
    def id(self) -> str:
        return self.path.name

    def table(self, experiment: str) -> pd.DataFrame:
        return pd.read_parquet(self.path / f"{experiment}.parquet")

    def has(self, experiment: str) -> bool:
        return experiment in self.meta.get("tables", {})


def load(run_dir) -> Run:
    """A run folder; a folder of runs (such as data/reference, every notebook's default) means
    its newest valid run."""
    run_dir = Path(run_dir)
    if not (run_dir / "run.json").exists() and run_dir.is_dir():
        run_dir = latest_run(run_dir) or run_dir
    problems = validate(run_dir)
    if problems:
        raise config.UsageError(f"{run_dir} is not a valid run: {problems[0]}")
    return Run(run_dir, json.loads((run_dir / "run.json").read_text()))


def latest_run(root: Path | None = None) -> Path | None:
    root = Path(root or config.RESULTS)
    runs = sorted(p for p in root.glob("2*") if p.is_dir() and not validate(p)) if root.exists() else []
    return runs[-1] if runs else None


def aa_run(run_dir) -> Path | None:
    """The A/A run of a run: the same code and data run again (`make reference` makes one, of
    the read-path matrix and the caching experiment at the headline scale, into
    <root>/aa/<run-id>/; older twins hold the read paths alone), or None."""
    run_dir = Path(run_dir)
    return latest_run(run_dir.parent / "aa" / run_dir.name)


def server_runs(run_dir) -> list[Run]:
    """The same run on other servers, oldest first: `run --servers a,b` (and `make reference`)
    put every server's run but the first's in <root>/servers/<run-id>/."""
    root = Path(run_dir).parent / "servers" / Path(run_dir).name
    found = sorted(p for p in root.glob("2*") if p.is_dir() and not validate(p)) if root.exists() else []
    return [load(p) for p in found]


def server_label(run: Run) -> str:
    """'PostgreSQL 15.14' from a run's recorded server version."""
    return "PostgreSQL " + str(run.meta.get("versions", {}).get("postgresql", "?")).split()[0]


def default_run() -> Path | None:
    """The committed reference run if there is one, else the newest local run."""
    return latest_run(config.REFERENCE) or latest_run()


def summary(run_dir) -> pd.DataFrame:
    """One row per experiment x strategy x condition, from rows carrying `latency_us`.
    Percentiles come from one HdrHistogram of every request of the cell (never averaged
    percentiles); the p50 interval is the range of the per-repetition medians (`rep` column)."""
    run = load(run_dir)
    frames = []
    for name in run.meta.get("tables", {}):
        df = run.table(name)
        if "latency_us" not in df.columns:
            continue
        df = df[df["latency_us"].notna()].copy()
        if "record" in df:  # a sham is its twin's statements under another label: calibration only (report.sham)
            df = df[~df["record"].isin(["sham", "load_sham"])]
        if df.empty:
            continue
        for col in ("rtt_ms", "clients"):
            if col not in df.columns:
                df[col] = 0.0 if col == "rtt_ms" else 1
        keys = ["experiment", "strategy", "scale"] + [c for c in CONDITIONS if c in df.columns]
        frames.append(df.groupby(keys, dropna=False, sort=True).apply(_cell, include_groups=False).reset_index())
    if not frames:
        return pd.DataFrame(columns=list(SUMMARY_COLUMNS))
    out = pd.concat(frames, ignore_index=True)
    out["n"] = out["n"].astype(int)
    reads = out.experiment == "read_paths"  # the harness timed every read-path cell before other clients did
    out["client"] = out["client"].where(~reads | out["client"].notna(), "psycopg") if "client" in out else \
        np.where(reads, "psycopg", None)
    return out[[c for c in SUMMARY_COLUMNS if c in out.columns]]


def _cell(g: pd.DataFrame) -> pd.Series:
    pooled = stats.percentiles(stats.histogram(g["latency_us"]))
    if "rep" in g.columns:
        reps = [stats.percentiles(stats.histogram(r))["p50_us"] for _, r in g.groupby("rep")["latency_us"]]
    else:
        reps = [pooled["p50_us"]]
    logs = np.log(np.maximum(reps, 1.0))
    return pd.Series({"n": int(len(g)), "p50_us": pooled["p50_us"], "mean_us": float(g["latency_us"].mean()),
                      "p95_us": pooled["p95_us"], "p99_us": pooled["p99_us"],
                      "p50_rep_lo_us": min(reps), "p50_rep_hi_us": max(reps), "reps": len(reps),
                      "p50_rep_logmean": float(logs.mean()),  # the per-repetition medians, for `bench compare`'s interval
                      "p50_rep_logsd": float(logs.std(ddof=1)) if len(logs) > 1 else float("nan")})


def format_summary(df: pd.DataFrame, fmt: str = "table") -> str:
    if fmt == "csv":
        return df.to_csv(index=False)
    shown = df.copy()
    for col in (c for c in shown.columns if c.endswith("_us")):
        shown[col] = shown[col].map(lambda v: f"{v:,.0f}")
    return shown.to_string(index=False) + "\n"
