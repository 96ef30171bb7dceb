"""Experiments: one module each, declaring NAME and `run(ctx) -> DataFrame` (long format).

`run_experiments` makes sure the dataset is seeded (reused when its manifest matches), runs
the chosen experiments and writes one results folder; the folder only gets its final name
when every experiment has finished.
"""
from __future__ import annotations

import contextlib
import hashlib
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from bench.db import dataset_lock, intent, pg
from bench.results import store as results
from bench.seeding import seed
from bench.config import UsageError
from bench.experiments import concurrency, cross_service, dataset, integrity, read_paths, rls

REGISTRY = {m.NAME: m for m in (dataset, read_paths, concurrency, integrity, rls, cross_service)}


def progress(message: str) -> None:
    """One line per finished step on stderr, so a long run shows where it is."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class Context:
    server: str  # maintenance DSN of the server
    dsn: str  # the seeded dataset's database
    req: seed.Request
    manifest: dict
    quick: bool
    first: bool  # the first scale of the run (for work done once per run)
    cold: bool = False  # read paths: add cold-cache cells (restarts the embedded server)
    external: bool = False  # a server given by DSN: never restarted
    scales: tuple[str, ...] = ()  # every scale of the run, in order
    last: bool = True  # the last scale of the run (for work done once per run, after or at the largest scale)


def run_experiments(server: str, req: seed.Request, names: list[str], *, scales: list[str] | None = None,
                    quick: bool = False, root: Path | None = None, force: bool = False,
                    explicit_dsn: bool = False, cold: bool = False) -> Path:
    """Run `names` (default: all) at each scale into one results folder; returns its path."""
    names = [n.replace("-", "_") for n in names]  # `run read-paths` and `run read_paths` alike
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise UsageError(f"unknown experiment {unknown[0]!r}: choose from {', '.join(REGISTRY)}")
    chosen = [REGISTRY[n] for n in (names or REGISTRY)]
    scales = scales or [req.scale]
    topology = "external server via DSN, TCP" if explicit_dsn else "embedded PostgreSQL on this host, TCP loopback"
    with pg.connect(server, autocommit=True) as conn:  # as the run starts: the code and server it ran with
        env = results.collect_environment(conn, topology=topology)
    frames: dict[str, list[pd.DataFrame]] = {m.NAME: [] for m in chosen}
    manifests, datasets, restored = {}, {}, {}
    with contextlib.ExitStack() as held:  # each dataset locked from its seed until the results are written
        for i, scale in enumerate(scales):
            r = replace(req, scale=scale)
            held.enter_context(dataset_lock.hold(server, r.database))
            seeded = seed.seed(server, r, force=force, progress=False)
            datasets[r.database] = seeded.dsn
            manifests[scale] = seeded.manifest
            if seeded.restored:
                restored[scale] = seeded.restored
            ctx = Context(server, seeded.dsn, r, seeded.manifest, quick, first=i == 0, cold=cold, external=explicit_dsn,
                          scales=tuple(scales), last=i == len(scales) - 1)
            for module in chosen:
                started = time.perf_counter()
                frames[module.NAME].append(module.run(ctx))
                progress(f"{module.NAME} at scale {scale}: {time.perf_counter() - started:.0f} s")
        prints = {s: m["fingerprint"] for s, m in manifests.items()}
        fingerprint = prints[scales[0]] if len(scales) == 1 else hashlib.sha256(
            "".join(f"{s}:{f}" for s, f in prints.items()).encode()).hexdigest()
        meta = {**env, "scale": ",".join(scales), "seed": req.seed, "locale": req.locale, "variant": req.variant,
                "indexes": req.indexes, "fingerprint": fingerprint, "fingerprints": prints, "manifests": manifests,
                "quick": quick, "cold": cold, "experiments": [m.NAME for m in chosen],
                "restored_before": restored,  # in-place changes of killed runs undone before measuring
                "cache": ("warm (warm-up excluded)" + ("; cold cells: server restarted before each block, "
                          "OS page cache dropped where the kernel allowed (see os_page_cache)" if cold else ""))}
        for database, dsn in datasets.items():  # no results from a dataset left changed in place
            intent.require_clean(dsn, database)
        with results.RunWriter(meta=meta, root=root) as run:
            for name, parts in frames.items():
                table = pd.concat(parts, ignore_index=True)
                if name == read_paths.NAME:
                    run.add_meta(rtt_measured=read_paths.measured_rtts(table))
                run.write_table(name, table)
    return run.path
