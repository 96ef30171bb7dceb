"""One function per CLI verb: resolve inputs, call the modules, print what a person needs."""
from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

from bench import config
from bench.db import pg
from bench.config import UsageError


def db(args) -> int:
    if args.dsn or config.dsn_from_env():
        dsn = pg.server_dsn(args.dsn)
        if args.action != "url":
            raise UsageError("db start/stop/status manage the embedded server only; drop --dsn/BENCH_DSN")
        print(pg.tcp_dsn(dsn) if args.tcp else dsn)
        return 0
    emb = pg.Embedded()
    if args.action == "start":
        running = emb.start()
        print(f"running: pid {running.pid}, port {running.port}, socket {running.socket_dir}")
    elif args.action == "stop":
        print("stopped" if emb.stop() else "not running")
    elif args.action == "status":
        running = emb.status()
        print(f"running: pid {running.pid}, port {running.port}, socket {running.socket_dir}" if running else "not running")
        return 0 if running else 3
    else:
        running = emb.status()
        if running is None:
            raise UsageError("the embedded server is not running; start it with `python -m bench db start`")
        print(running.dsn(tcp=args.tcp))
    return 0


def _request(args):
    from bench.seeding.seed import Request

    scales = args.scale.split(",")
    for name in scales:
        config.scale(name)
    req = Request(scale=scales[0], seed=args.seed, locale=args.locale, variant=args.variant,
                  indexes=args.indexes, orphans=getattr(args, "orphans", 0.0))
    req.check()  # before any connection: bad input writes nothing
    return req


def seed(args) -> int:
    from bench.seeding import seed as seeding

    req = _request(args)
    server = pg.server_dsn(args.dsn)
    if args.benchmark:
        from bench.seeding.benchmark import benchmark, format_report

        print(format_report(benchmark(server, req, force=args.force_foreign_db, progress=not args.no_progress)))
        return 0
    for scale in args.scale.split(","):
        one = replace(req, scale=scale)
        result = seeding.seed(server, one, force=args.force_foreign_db, fresh=args.fresh, progress=not args.no_progress)
        m = result.manifest
        how = "reused (manifest matches)" if result.reused else f"seeded in {m['seconds']} s"
        print(f"{one.database}: {how}; {sum(m['rows'].values()):,} rows; fingerprint {m['fingerprint'][:16]}")
    return 0


def run(args) -> int:
    from bench.experiments.runner import run_experiments

    req = _request(args)
    run_dir = run_experiments(pg.server_dsn(args.dsn), req, args.experiments, scales=args.scale.split(","),
                              quick=args.quick, root=args.out, cold=args.cold,
                              force=args.force_foreign_db, explicit_dsn=bool(args.dsn or config.dsn_from_env()))
    print(run_dir)
    return 0


def validate(args) -> int:
    from bench.results.store import validate as check

    problems = check(args.run_dir)
    for problem in problems:
        print(f"invalid: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"valid: {args.run_dir}")
    return 0


def summary(args) -> int:
    from bench.results.store import format_summary, summary as summarise, validate as check

    problems = check(args.run_dir)
    if problems:
        raise UsageError(f"{args.run_dir} is not a valid run ({problems[0]}); check it with `python -m bench validate`")
    print(format_summary(summarise(args.run_dir), args.format), end="")
    return 0


def compare(args) -> int:
    from bench.results.compare import compare as side_by_side, format_comparison

    if args.threshold < 0:
        raise UsageError("--threshold must be a non-negative fraction, e.g. 0.1 for 10 %")
    table = side_by_side(args.run_a, args.run_b, args.threshold)
    print(table.to_csv(index=False) if args.format == "csv" else format_comparison(table, args.run_a, args.run_b,
                                                                                    args.threshold), end="")
    return 0


def render(args) -> int:
    from bench.report.render import render as render_notebooks
    from bench.results.store import default_run

    from bench.report.render import RenderError
    from bench.results.store import validate as check

    run_dir = args.run_dir or default_run()
    if run_dir is None:
        raise UsageError("no results to render: run `python -m bench run` first (or pass --run DIR)")
    problems = check(run_dir)
    if problems:  # before any kernel starts
        raise UsageError(f"{run_dir} is not a valid run ({problems[0]}); check it with `python -m bench validate`")
    run_dir = run_dir.resolve()
    if run_dir.is_relative_to(config.REPO):  # as the notebooks see it: no machine paths in the pages
        run_dir = Path(os.path.relpath(run_dir, config.NOTEBOOKS))
    try:
        pages = render_notebooks(args.notebooks or None, {"run_dir": str(run_dir)})
    except RenderError as exc:
        raise UsageError(f"{exc}; nothing more rendered") from None
    for path in pages:
        print(path)
    from bench.report.figindex import update_readme

    if update_readme():
        print("README.md: figure index updated")
    return 0
