"""One function per CLI verb: resolve inputs, call the modules, print what a person needs."""
from __future__ import annotations

import math
import os
import shutil
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from bench import config
from bench.config import UsageError
from bench.db import pg, roles

MIN_FREE_BYTES = 64 * 2**20  # a run folder at xs-m is a few MB; less room than this is refused before the run


def _recover_server(server: str) -> None:
    """Settings a killed command left on the embedded cluster (caching's small-buffers pass) reset first."""
    from bench.db import intent

    reset = intent.recover_server(server)
    if reset:
        print(f"server settings reset after an interrupted run: {', '.join(reset)} (server restarted)", file=sys.stderr)


def _writable(out: Path) -> None:
    """`run --out` checked before anything runs: a directory (or one that can be made) with room."""
    out = Path(out)
    probe = out
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        raise UsageError(f"--out {str(out)[:200]}: {str(probe)[:200]} is not a directory")
    try:
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as exc:
        raise UsageError(f"--out {str(out)[:200]} is not writable ({exc.strerror}); nothing was run") from None
    free = shutil.disk_usage(probe).free
    if free < MIN_FREE_BYTES:
        raise UsageError(f"--out {str(out)[:200]} has {free // 2**20} MB free (a run needs at least "
                         f"{MIN_FREE_BYTES // 2**20} MB); nothing was run")


def db(args) -> int:
    if args.server == "pg15":
        return _db_pg15(args.action)
    if args.dsn or config.dsn_from_env():
        dsn = pg.server_dsn(args.dsn)
        if args.action != "url":
            raise UsageError("db start/stop/status manage the embedded server only; drop --dsn/BENCH_DSN")
        print(pg.tcp_dsn(dsn) if args.tcp else dsn)
        return 0
    emb = pg.Embedded()
    if args.action == "start":
        running = emb.start()
        _recover_server(running.dsn())
        with pg.connect(running.dsn(), autocommit=True) as conn:  # plaintext passwords tracked by older versions
            roles.forget_password_statements(conn)
        running = emb.status() or running
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


def _db_pg15(action: str) -> int:
    """The Debian PostgreSQL 15 cluster; `url` prints the DSN a run takes as an external server."""
    from bench.db.debian_cluster import suite_cluster

    cluster = suite_cluster()
    if action == "stop":
        print("stopped" if cluster.stop() else "not running")
        return 0
    running = cluster.status()
    if action == "start":
        running = cluster.start()
    if running is None:
        print("not running")
        return 3 if action == "status" else 2
    if action == "url":
        print(cluster.login_dsn(running))
    else:
        print(f"running: PostgreSQL 15, port {running.port}, socket {running.socket_dir}")
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
    named = psycopg_dbname(server)
    if args.fresh and named in {replace(req, scale=s).database for s in args.scale.split(",")}:
        raise UsageError(f"--dsn connects to {named} itself, which --fresh would drop: give the server's "
                         "maintenance database instead (dbname=postgres)")
    _recover_server(server)
    roles.require_compatible(server)  # cluster-wide roles: checked before anything is made
    if args.benchmark:
        from bench.seeding.benchmark import benchmark, format_report

        print(format_report(benchmark(server, req, force=args.force_foreign_db, progress=not args.no_progress)))
        return 0
    for scale in args.scale.split(","):
        one = replace(req, scale=scale)
        try:
            result = seeding.seed(server, one, force=args.force_foreign_db, fresh=args.fresh,
                                  progress=not args.no_progress)
        except psycopg_in_use() as exc:
            raise UsageError(f"{one.database} is in use by another connection ({' '.join(str(exc).split())[:200]}); "
                             "close it and retry") from None
        m = result.manifest
        how = "reused (manifest matches)" if result.reused else f"seeded in {m['seconds']} s"
        print(f"{one.database}: {how}; {sum(m['rows'].values()):,} rows; fingerprint {m['fingerprint'][:16]}")
    return 0


def psycopg_dbname(dsn: str) -> str | None:
    import psycopg

    return psycopg.conninfo.conninfo_to_dict(dsn).get("dbname")


def psycopg_in_use():
    import psycopg

    return psycopg.errors.ObjectInUse


def _servers(args) -> list[tuple[str, bool]]:
    """(maintenance DSN, reached by DSN) per server of the run, checked before any is used."""
    if args.servers and args.dsn:
        raise UsageError("give --servers or --dsn, not both")
    if not args.servers:
        dsns = args.dsn or [None]
        return [(pg.server_dsn(d), bool(d or config.dsn_from_env())) for d in dsns]
    names = [n.strip() for n in args.servers.split(",") if n.strip()]
    unknown = [n for n in names if n not in ("embedded", "pg15")]
    if unknown or not names:
        raise UsageError(f"unknown server {unknown[0] if unknown else args.servers!r}: choose from embedded, pg15")
    out = []
    for name in names:
        if name == "embedded":
            out.append((pg.server_dsn(None), False))
        else:
            from bench.db.debian_cluster import suite_cluster

            cluster = suite_cluster()
            out.append((cluster.login_dsn(cluster.start()), True))  # treated as any external server
    return out


def run(args) -> int:
    """One run folder per server: the first server's in --out, every other's in
    <out>/servers/<first-run-id>/, where the pages and verdicts find them."""
    from bench.experiments.registry import REGISTRY
    from bench.experiments.runner import run_experiments

    req = _request(args)
    unknown = [n for n in args.experiments if n.replace("-", "_") not in REGISTRY]
    if unknown:  # before any server is started or reached
        raise UsageError(f"unknown experiment {unknown[0]!r}: choose from {', '.join(REGISTRY)}")
    _writable(args.out)
    dirs: list[Path] = []
    for server, by_dsn in _servers(args):
        if not by_dsn:
            _recover_server(server)
        root = args.out if not dirs else Path(args.out) / "servers" / dirs[0].name
        dirs.append(run_experiments(server, req, args.experiments, scales=args.scale.split(","),
                                    quick=args.quick, root=root, force=args.force_foreign_db,
                                    explicit_dsn=by_dsn, extra_scales=not args.no_extra_scales))
        print(dirs[-1], flush=True)
    for other in dirs[1:]:
        print(f"side by side: python -m bench compare {dirs[0]} {other}", file=sys.stderr)
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
    from bench.results.store import format_summary
    from bench.results.store import summary as summarise
    from bench.results.store import validate as check

    problems = check(args.run_dir)
    if problems:
        raise UsageError(f"{args.run_dir} is not a valid run ({problems[0]}); check it with `python -m bench validate`")
    print(format_summary(summarise(args.run_dir), args.format), end="")
    return 0


def compare(args) -> int:
    from bench.results.compare import compare as side_by_side
    from bench.results.compare import format_comparison

    if not math.isfinite(args.threshold) or args.threshold < 0:
        raise UsageError(f"--threshold must be a finite non-negative fraction, e.g. 0.1 for 10 % "
                         f"(got {str(args.threshold)[:40]})")
    table = side_by_side(args.run_a, args.run_b, args.threshold)
    print(table.to_csv(index=False) if args.format == "csv" else format_comparison(table, args.run_a, args.run_b,
                                                                                    args.threshold), end="")
    return 0


def render(args) -> int:
    """The committed reference run renders into notebooks/ and reports/; any other run into its
    own folder, reports/runs/<run-id>/ (pages, executed notebooks, figures), linked to ours."""
    from bench.report.render import RenderError
    from bench.report.render import render as render_notebooks
    from bench.results.store import default_run, validate

    run_dir = args.run_dir or default_run()
    if run_dir is None:
        raise UsageError("no results to render: run `python -m bench run` first (or pass --run DIR)")
    run_dir = Path(run_dir).resolve()
    problems = validate(run_dir)
    if problems:  # before a kernel starts
        raise UsageError(f"{run_dir} is not a valid run: {problems[0]}")
    reference = run_dir.parent == config.REFERENCE.resolve()
    out_dir = config.REPORTS if reference else config.REPORTS / "runs" / run_dir.name
    ipynb_dir = config.NOTEBOOKS if reference else out_dir
    shown = Path(os.path.relpath(run_dir, config.NOTEBOOKS)) if run_dir.is_relative_to(config.REPO) else run_dir
    try:
        pages = render_notebooks(args.notebooks or None, {"run_dir": str(shown)}, out_dir=out_dir, ipynb_dir=ipynb_dir,
                                 reference_pages="" if reference else os.path.relpath(config.REPORTS / "index.html",
                                                                                      out_dir))
    except RenderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"rendered {len(pages) - 2} pages into {os.path.relpath(out_dir, Path.cwd())}/")
    from bench.report import claims, readme
    from bench.results.store import load

    run = load(run_dir)
    rec = claims.read(out_dir / claims.FILENAME) if (out_dir / claims.FILENAME).exists() else claims.record(run)
    if reference and readme.update(run, rec=rec):
        print("README.md: findings and figure index updated from the reference run")
    labels = [f["label"] for f in rec["findings"]]
    print(f"front page: {os.path.relpath(out_dir / 'index.html', Path.cwd())} · findings: "
          + ", ".join(f"{labels.count(k)} {k}" for k in dict.fromkeys(labels)))
    return 0
