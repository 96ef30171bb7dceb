"""Seeds one dataset: Faker pools -> columnar batches -> CSV -> COPY, keys after the load.

Every table streams (see plan.py): the client's memory does not grow with the rows. Each table
is emptied and loaded in one transaction with COPY FREEZE (rows written frozen and all-visible);
`finish` then builds keys, foreign keys and indexes in parallel sessions and VACUUM ANALYZEs.

A dataset is one database `bench_<variant>_<scale>` made by the suite (it carries the marker).
Its manifest (bench_meta.manifest) is written as `started` before the first row and as
`complete` only after keys, foreign keys, RLS, the trigger and VACUUM ANALYZE are in place, so
an interrupted seed (Ctrl-C, kill -9) is found on the next run and redone, never reported done.
"""
from __future__ import annotations

import json
import queue
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version

from faker.config import AVAILABLE_LOCALES
from psycopg import sql
from tqdm import tqdm

from bench import config
from bench.config import UsageError
from bench.db import dataset_lock, intent, pg, schema
from bench.seeding import finish, resources, tables
from bench.seeding.columns import Fingerprint, Spec, render_csv
from bench.seeding.plan import Plan

GENERATOR_VERSION = 3  # bump when generated data changes: stale datasets are then reseeded


@dataclass
class Request:
    scale: str = config.DEFAULT_SCALE
    seed: int = config.DEFAULT_SEED
    locale: str = config.DEFAULT_LOCALE
    variant: str = "star"
    indexes: str = "as-written"
    orphans: float = 0.0

    def check(self) -> None:
        config.scale(self.scale)
        if not isinstance(self.seed, int) or not 0 <= self.seed < 2**32:
            raise UsageError(f"--seed must be a whole number from 0 to {2**32 - 1}, got {str(self.seed)[:40]}")
        if self.locale not in AVAILABLE_LOCALES:
            raise UsageError(f"unknown locale {self.locale!r}: choose a Faker locale such as en_US, de_DE or ja_JP")
        schema.check(self.variant, self.indexes)
        if self.orphans and not schema.ORPHANS_ALLOWED[self.variant]:
            raise UsageError(f"variant {self.variant!r} forbids orphans by foreign key; use --variant star or star_nofk")
        if not 0.0 <= self.orphans < 0.5:
            raise UsageError(f"--orphans must be a fraction in [0, 0.5), got {self.orphans}")

    @property
    def database(self) -> str:
        return f"bench_{self.variant}_{self.scale}"

    def identity(self) -> dict:
        """What must match for an existing dataset to be reused."""
        return {"scale": self.scale, "seed": self.seed, "locale": self.locale, "variant": self.variant,
                "orphans": self.orphans, "faker": version("Faker"), "generator": GENERATOR_VERSION}


@dataclass
class Result:
    dsn: str
    manifest: dict
    reused: bool
    load: list[dict] = field(default_factory=list)  # per table: rows, seconds, rows_per_s
    restored: list[str] = field(default_factory=list)  # in-place changes left by killed runs, undone


def read_manifest(dsn: str) -> dict | None:
    with pg.connect(dsn, autocommit=True) as conn:
        if conn.execute("SELECT to_regclass('bench_meta.manifest')").fetchone()[0] is None:
            return None
        row = conn.execute("SELECT body FROM bench_meta.manifest").fetchone()
        return row[0] if row else None


def _write_manifest(dsn: str, body: dict) -> None:
    with pg.connect(dsn, autocommit=True) as conn:
        conn.execute("INSERT INTO bench_meta.manifest (id, body) VALUES (1, %s) "
                     "ON CONFLICT (id) DO UPDATE SET body = excluded.body", (json.dumps(body),))


def existing(server: str, req: Request) -> dict | None:
    """The manifest of a complete, matching dataset, or None."""
    if not pg.database_exists(server, req.database):
        return None
    dsn = pg.with_dbname(server, req.database)
    if not pg.has_marker(dsn):
        return None
    manifest = read_manifest(dsn)
    if manifest and manifest.get("status") == "complete" and \
            all(manifest.get(k) == v for k, v in req.identity().items()):
        return manifest
    return None


def seed(server: str, req: Request, *, force: bool = False, fresh: bool = False, progress: bool = True) -> Result:
    """The dataset, seeded or reused; one writer at a time (the dataset's lock, held meanwhile)."""
    req.check()
    with dataset_lock.hold(server, req.database):
        return _seed(server, req, force=force, fresh=fresh, progress=progress)


def _seed(server: str, req: Request, *, force: bool, fresh: bool, progress: bool) -> Result:
    pg.require_marker(server, req.database, force)
    dsn = pg.with_dbname(server, req.database)
    manifest = None if fresh else existing(server, req)
    if manifest:
        # a run killed in the middle of an in-place change left its record: restore from the same
        # files the experiment restores with (the rows themselves are never changed in place)
        restored = intent.recover(dsn)
        if restored:
            print(f"{req.database}: restored after an interrupted {', '.join(restored)} run "
                  "(policies, grants and indexes put back as seeded)", file=sys.stderr)
        if manifest.get("indexes") != req.indexes:
            schema.run_files(dsn, (f"variants/{req.indexes}.sql",))
            manifest["indexes"] = req.indexes
            _write_manifest(dsn, manifest)
        return Result(dsn, manifest, reused=True, restored=restored)

    resources.check(req.scale, embedded=pg.is_embedded(server))  # before planning: nothing made yet
    started = time.perf_counter()
    plan = Plan(req.scale, req.seed, req.locale, req.orphans, schema.ORPHANS_ALLOWED[req.variant])
    specs = tables.specs(plan)
    pg.create_database(server, req.database, force)
    schema.run_files(dsn, schema.BEFORE_LOAD)
    manifest = {**req.identity(), "status": "started", "indexes": req.indexes,
                "orphan_classes": list(plan.orphan_classes),
                "started_at": datetime.now(UTC).isoformat(timespec="seconds")}
    _write_manifest(dsn, manifest)

    fp = Fingerprint()
    load = [copy_table(dsn, spec, fp, progress) for spec in specs]
    phases: dict[str, float] = {}
    expected = {spec.name: spec.rows for spec in specs}
    finish.finish(dsn, req.variant, req.indexes, expected, phases)
    with pg.connect(dsn, autocommit=True) as conn:
        counts = {spec.name: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(
            sql.Identifier(*spec.name.split(".")))).fetchone()[0] for spec in specs}
    if counts != expected:
        raise RuntimeError(f"row counts after load differ from the plan: {counts} != {expected}")
    manifest.update(status="complete", fingerprint=fp.hexdigest(), rows=counts, phases_s=phases,
                    seconds=round(time.perf_counter() - started, 1),
                    completed_at=datetime.now(UTC).isoformat(timespec="seconds"))
    _write_manifest(dsn, manifest)
    return Result(dsn, manifest, reused=False, load=load)


def _copy_statement(spec: Spec) -> sql.Composed:
    return sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv, FREEZE)").format(
        sql.Identifier(*spec.name.split(".")), sql.SQL(", ").join(map(sql.Identifier, spec.columns)))


def copy_table(dsn: str, spec: Spec, fp: Fingerprint, progress: bool = True) -> dict:
    """COPY one table while a second thread renders the next batches (pyarrow releases the GIL)."""
    chunks: queue.Queue = queue.Queue(maxsize=4)
    failure: list[BaseException] = []

    def produce():
        try:
            for batch in spec.batches():
                chunks.put((batch.num_rows, render_csv(batch)))
        except BaseException as exc:  # handed to the consumer, which re-raises
            failure.append(exc)
        finally:
            chunks.put(None)

    start = time.perf_counter()
    producer = threading.Thread(target=produce, daemon=True)
    producer.start()
    fp.table(spec)
    bar = tqdm(total=spec.rows, desc=f"{spec.name:<24}", unit="row", unit_scale=True, disable=not progress, leave=True)
    with pg.connect(dsn) as conn, conn.cursor() as cur:
        # emptied in the same transaction, so COPY FREEZE may write the rows frozen and all-visible
        cur.execute(sql.SQL("TRUNCATE {}").format(sql.Identifier(*spec.name.split("."))))
        with cur.copy(_copy_statement(spec)) as copy:
            while (item := chunks.get()) is not None:
                rows, data = item
                fp.chunk(data)
                copy.write(data)
                bar.update(rows)
        producer.join()
        if failure:  # raised inside the transaction: the partial table is rolled back, not committed
            raise failure[0]
    bar.close()
    seconds = time.perf_counter() - start
    return {"table": spec.name, "rows": spec.rows, "seconds": round(seconds, 3),
            "rows_per_s": round(spec.rows / seconds) if seconds else None}
