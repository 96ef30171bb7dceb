"""Experiments: one module each, declaring NAME and `run(ctx) -> DataFrame` (long format).

`run_experiments` makes sure the dataset is seeded (reused when its manifest matches), runs
the chosen experiments and writes one results folder; the folder only gets its final name
when every experiment has finished.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import pg, seed
from ..config import UsageError
from . import dataset

REGISTRY = {m.NAME: m for m in (dataset,)}


@dataclass
class Context:
    server: str  # maintenance DSN of the server
    dsn: str  # the seeded dataset's database
    req: seed.Request
    manifest: dict
    quick: bool


def run_experiments(server: str, req: seed.Request, names: list[str], *, quick: bool = False,
                    root: Path | None = None, force: bool = False, explicit_dsn: bool = False) -> Path:
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise UsageError(f"unknown experiment {unknown[0]!r}: choose from {', '.join(REGISTRY)}")
    chosen = [REGISTRY[n] for n in (names or REGISTRY)]
    seeded = seed.seed(server, req, force=force, progress=False)
    ctx = Context(server, seeded.dsn, req, seeded.manifest, quick)
    topology = "external server via DSN" if explicit_dsn else "embedded PostgreSQL, same host, unix socket"
    with pg.connect(seeded.dsn, autocommit=True) as conn:
        from .. import results

        env = results.collect_environment(conn, topology=topology)
    meta = {**env, "scale": req.scale, "seed": req.seed, "variant": req.variant, "indexes": req.indexes,
            "fingerprint": seeded.manifest["fingerprint"], "manifest": seeded.manifest, "quick": quick}
    from .. import results

    with results.RunWriter(meta=meta, root=root) as run:
        for module in chosen:
            run.write_table(module.NAME, module.run(ctx))
    return run.path
