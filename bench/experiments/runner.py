"""The runner: seeds each scale (reused when its manifest matches), runs every chosen experiment's
steps at the scales they declare, smallest scale first, and writes one results folder, which
only gets its final name when every experiment has finished."""
from __future__ import annotations

import contextlib
import hashlib
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd

from bench import config
from bench.config import UsageError
from bench.db import capabilities, dataset_lock, intent, pg, roles
from bench.db.environment import collect_environment
from bench.experiments.common import EVERY, LARGEST, Context, Step, progress
from bench.experiments.registry import REGISTRY
from bench.measure import topology
from bench.results import store as results
from bench.seeding import seed


def schedule(modules, scales: list[str], quick: bool, extra_scales: bool = True) -> list[tuple[str, object, Step]]:
    """(scale, module, step) in the order they run: scale by scale, smallest first, each scale's
    steps in registry order. A step's own scales come after the run's when they are not part of
    it (and not at all without `extra_scales`: a second server's run keeps to the run's scales)."""
    largest = config.largest(scales)
    plan = []
    for module in modules:
        for step in module.STEPS:
            if quick and not step.quick:
                continue
            at = scales if step.at == EVERY else [largest] if step.at == LARGEST else [
                s for s in step.at if s not in scales and extra_scales]
            plan += [(s, module, step) for s in at]
    order = config.ordered(scales) + [s for s in config.ordered(s for s, _, _ in plan) if s not in scales]
    return sorted(plan, key=lambda p: order.index(p[0]))


def run_experiments(server: str, req: seed.Request, names: list[str], *, scales: list[str] | None = None,
                    quick: bool = False, root: Path | None = None, force: bool = False,
                    explicit_dsn: bool = False, extra_scales: bool = True) -> Path:
    """Run `names` (default: all) at each scale into one results folder; returns its path."""
    names = [n.replace("-", "_") for n in names]  # `run read-paths` and `run read_paths` alike
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise UsageError(f"unknown experiment {unknown[0]!r}: choose from {', '.join(REGISTRY)}")
    chosen = [REGISTRY[n] for n in (names or REGISTRY)]
    scales = config.ordered(scales or [req.scale])
    reached = "external server via DSN, TCP" if explicit_dsn else "embedded PostgreSQL on this host, TCP loopback"
    roles.require_compatible(server)  # cluster-wide roles: checked before anything is made
    with pg.connect(server, autocommit=True) as conn:  # as the run starts: the code and server it ran with
        env = collect_environment(conn, topology=reached)
    caps = capabilities.probe(server)
    if capabilities.one_line(caps):
        progress(capabilities.one_line(caps))
    env.update(server_capabilities=caps, skipped_cells=capabilities.skipped_cells(caps))
    frames: dict[str, list[pd.DataFrame]] = {m.NAME: [] for m in chosen}
    manifests, contexts, restored = {}, {}, {}
    steps: list[dict] = []  # wall time per step, in run.json: where a run's time goes
    with contextlib.ExitStack() as held:  # each dataset locked from its seed until the results are written
        held.enter_context(topology.awake(topology.awake_wanted()))  # no idle core halts while we measure
        pinning = held.enter_context(topology.pinned(server, topology.wanted()))  # client and server apart (run.json)
        for scale, module, step in schedule(chosen, scales, quick, extra_scales):
            if scale not in contexts:
                r = replace(req, scale=scale)
                held.enter_context(dataset_lock.hold(server, r.database))
                t0 = time.perf_counter()
                seeded = seed.seed(server, r, force=force, progress=False)
                capabilities.require_request_roles(seeded.dsn)  # the roles exist from here on
                steps.append({"experiment": "seed", "step": r.database, "scale": scale,
                              "seconds": round(time.perf_counter() - t0, 1), "reused": seeded.reused})
                contexts[scale] = Context(server, seeded.dsn, r, seeded.manifest, quick, external=explicit_dsn)
                if seeded.restored:
                    restored[scale] = seeded.restored
                if scale in scales:
                    manifests[scale] = seeded.manifest
                else:
                    progress(f"dataset {scale} ready (for {module.NAME})")
            started = time.perf_counter()
            out = pd.DataFrame(step.run(contexts[scale]))
            if scale not in scales:  # a step's own scale: its rows name the dataset they came from
                out["fingerprint"] = contexts[scale].manifest["fingerprint"]
            frames[module.NAME].append(out)
            took = time.perf_counter() - started
            steps.append({"experiment": module.NAME, "step": step.run.__name__.strip("_"), "scale": scale,
                          "seconds": round(took, 1)})
            progress(f"{module.NAME} {step.run.__name__.strip('_')} at scale {scale}: {took:.0f} s")
        prints = {s: m["fingerprint"] for s, m in manifests.items()}
        fingerprint = prints[scales[0]] if len(scales) == 1 else hashlib.sha256(
            "".join(f"{s}:{f}" for s, f in prints.items()).encode()).hexdigest()
        meta = {**env, "scale": ",".join(scales), "seed": req.seed, "locale": req.locale, "variant": req.variant,
                "indexes": req.indexes, "fingerprint": fingerprint, "fingerprints": prints, "manifests": manifests,
                "quick": quick, "experiments": [m.NAME for m in chosen], "extra_scales": extra_scales,
                "restored_before": restored, "step_seconds": steps, "pinning": pinning,  # in-place changes of killed runs undone before measuring
                "cache": "warm (warm-up excluded); the caching experiment's cold cells evict the bundle's relations "
                         "from shared buffers and the OS page cache before each request (see its evidence rows)"}
        for ctx in contexts.values():  # no results from a dataset left changed in place
            intent.require_clean(ctx.dsn, ctx.req.database)
        with results.RunWriter(meta=meta, root=root) as run:
            for module in chosen:
                table = pd.concat(frames[module.NAME], ignore_index=True) if frames[module.NAME] else pd.DataFrame()
                if len(table):  # every row names the server it came from and how it was reached
                    table["server_version"] = env["versions"]["postgresql"]
                    table["server_via"] = "dsn" if explicit_dsn else "embedded"
                if hasattr(module, "run_meta"):
                    run.add_meta(**module.run_meta(table))
                run.write_table(module.NAME, table)
    return run.path
