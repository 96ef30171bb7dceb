"""The building blocks of generated tables: a table spec rendered in fixed-size batches, the random
streams and column helpers, CSV rendering for COPY, and the dataset fingerprint."""
from __future__ import annotations

import binascii
import hashlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

BATCH_ROWS = 25_000


TS = pa.timestamp("us", tz="UTC")


CSV_OPTIONS = pacsv.WriteOptions(include_header=False, batch_size=BATCH_ROWS)


@dataclass(frozen=True)
class Spec:
    """One table to load: its columns (in COPY order), row count and a batch renderer."""

    name: str
    columns: tuple[str, ...]
    rows: int
    render: Callable[[int, int], pa.Table] = field(repr=False)

    def batches(self) -> Iterator[pa.Table]:
        """Fixed-size batches: per-batch random streams are keyed by the batch's first row."""
        for lo in range(0, self.rows, BATCH_ROWS):
            yield self.render(lo, min(lo + BATCH_ROWS, self.rows))


def rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, stream])


def hex_ids(rng: np.random.Generator, n: int, nbytes: int = 16) -> pa.Array:
    """Random ids as hex text (PostgreSQL's uuid input accepts 32 hex digits without hyphens)."""
    raw = np.frombuffer(binascii.hexlify(rng.bytes(nbytes * n)), dtype=f"S{2 * nbytes}")
    return pa.array(raw).cast(pa.string())


def ordered(owner: np.ndarray, t_us: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(t_us, kind="stable")
    return owner[order], t_us[order]


def ts(epoch_us: int, rel_us: np.ndarray) -> pa.Array:
    return pa.array(rel_us + epoch_us, TS)


def render_csv(batch: pa.Table) -> bytes:
    buf = io.BytesIO()
    pacsv.write_csv(batch, buf, CSV_OPTIONS)
    return buf.getvalue()


class Fingerprint:
    """sha256 over every table's name, columns, row count and CSV bytes: equal iff the data is."""

    def __init__(self):
        self._h = hashlib.sha256()

    def table(self, spec: Spec) -> None:
        self._h.update(f"{spec.name}|{','.join(spec.columns)}|{spec.rows}\n".encode())

    def chunk(self, csv: bytes) -> None:
        self._h.update(csv)

    def hexdigest(self) -> str:
        return self._h.hexdigest()
