"""A truly cold cache for chosen relations: out of shared buffers and out of the OS page cache.

`Evictor.evict()` drops every page of the relations (tables, their indexes, TOAST) from shared
buffers with PostgreSQL 18's `pg_buffercache_evict_relation` (dirty pages are written first),
then, when the cluster's files are on this machine, asks the kernel to drop them from its page
cache (`posix_fadvise(POSIX_FADV_DONTNEED)` on each segment and fork, after `fdatasync` so no
page is kept back as dirty). It returns what it did, so the results can show it; whether the
next read really came from disk is proved separately (shared blocks read, read time).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import psycopg

from bench.sql import sql_text

FORKS = ("", "_fsm", "_vm", "_init")


def _text(name: str) -> str:
    return sql_text(f"caching/{name}.sql")


@dataclass
class Eviction:
    buffers_evicted: int
    buffers_flushed: int
    buffers_skipped: int
    files_dropped: int  # files the OS was asked to drop (0 when os_cache says why not)
    os_cache: str  # "dropped", or the reason it was not


def relation_files(data_dir: Path, filepath: str) -> list[Path]:
    """Every file of a relation: each fork, each 1 GB segment (`N`, `N.1`, ...)."""
    out = []
    for fork in FORKS:
        base = data_dir / f"{filepath}{fork}"
        segment = 0
        while True:
            path = base if segment == 0 else base.with_name(f"{base.name}.{segment}")
            if not path.exists():
                break
            out.append(path)
            segment += 1
    return out


def drop_from_os_cache(paths: list[Path]) -> int:
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fdatasync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
    return len(paths)


class Evictor:
    """Cold-cache control for `tables` (and everything stored with them) over `conn` (a
    superuser connection in the tables' database, autocommit). `local` says whether the
    cluster's data directory is this machine's (an embedded or local server)."""

    def __init__(self, conn: psycopg.Connection, tables: list[str], local: bool):
        self.conn = conn
        conn.execute(_text("extension"))
        rows = conn.execute(_text("relations"), {"tables": list(tables)}).fetchall()
        self.relations = [r[0] for r in rows]
        self.os_reason = "not local: the server's files are not on this machine" if not local else ""
        self.files: list[Path] = []
        if local:
            data_dir = Path(conn.execute(_text("data_directory")).fetchone()[0])
            if not os.access(data_dir, os.R_OK | os.X_OK):
                self.os_reason = f"data directory {data_dir} not readable by this process"
            else:
                self.files = [p for _, fp in rows for p in relation_files(data_dir, fp)]
        if not hasattr(os, "posix_fadvise"):
            self.os_reason, self.files = "posix_fadvise not available on this platform", []

    def checkpoint(self) -> None:
        self.conn.execute(_text("checkpoint"))

    def evict(self, os_cache: bool = True) -> Eviction:
        totals = [0, 0, 0]
        for rel in self.relations:
            row = self.conn.execute(_text("evict_relation"), {"relation": rel}).fetchone()
            totals = [t + v for t, v in zip(totals, row)]
        if not os_cache:
            return Eviction(*totals, files_dropped=0, os_cache="kept (shared buffers only)")
        if self.os_reason:
            return Eviction(*totals, files_dropped=0, os_cache=f"not dropped: {self.os_reason}")
        return Eviction(*totals, files_dropped=drop_from_os_cache(self.files), os_cache="dropped")

    def cached_buffers(self) -> int:
        """Shared buffers holding any page of the relations now."""
        return self.conn.execute(_text("cached_buffers"), {"relations": self.relations}).fetchone()[0]
