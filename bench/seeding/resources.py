"""What seeding a scale needs, checked before planning starts.

Memory: the rows stream (generator 2), so the client's peak no longer follows the rows; what
is left per user is the owner sampler's cumulative rates (8 bytes) and each user's latest chat
session with its time (16 bytes), 24 bytes a user (measured peak RSS of `seed`: m 387 MB, l
314 MB, README), with headroom. Disk, from the dataset size on disk (xs 11 KB per user with the chat
domain), with headroom for WAL and index builds, is checked where the embedded cluster lives;
an external server's disk is its own business (not checked).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import psutil

from bench import config
from bench.config import UsageError

BASE_MEMORY = 500e6  # the interpreter, pyarrow, Faker pools, one window of rows and the COPY buffers
MEMORY_PER_USER = {True: 40, False: 40}  # bytes a user: rates, latest sessions (24), headroom
DISK_PER_USER = {True: 17_000, False: 9_000}  # bytes on disk incl. indexes, x1.5 for WAL and index builds


def needs(scale: str) -> tuple[float, float]:
    """(memory, disk) in bytes that seeding `scale` needs."""
    sc = config.scale(scale)
    return BASE_MEMORY + sc.users * MEMORY_PER_USER[sc.chat_domain], sc.users * DISK_PER_USER[sc.chat_domain]


def free_memory() -> float:
    return float(psutil.virtual_memory().available)


def free_disk(path: Path) -> float:
    while not path.exists():
        path = path.parent
    return float(shutil.disk_usage(path).free)


def check(scale: str, embedded: bool) -> None:
    """Refuse, in one line, a scale this machine cannot seed."""
    memory, disk = needs(scale)
    have_memory = free_memory()
    have_disk = free_disk(config.PG_HOME) if embedded else None
    short = have_memory < memory or (have_disk is not None and have_disk < disk)
    if short:
        disk_text = f" and {disk / 1e9:.0f} GB of free disk under {config.PG_HOME.name}/" if embedded else ""
        have_text = f"{have_memory / 1e9:.1f} GB" + (f" and {have_disk / 1e9:.0f} GB" if have_disk is not None else "")
        raise UsageError(f"scale {scale} needs about {memory / 1e9:.1f} GB of free memory{disk_text}; this machine "
                         f"has {have_text} free: pick a smaller scale (e.g. l) or a bigger machine")
