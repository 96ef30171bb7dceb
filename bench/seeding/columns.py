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
import pyarrow.compute as pc
import pyarrow.csv as pacsv

BATCH_ROWS = 25_000




CSV_OPTIONS = pacsv.WriteOptions(include_header=False, batch_size=BATCH_ROWS)


@dataclass(frozen=True)
class Spec:
    """One table to load: its columns (in COPY order), row count and a batch generator.

    `make()` yields the rows as pyarrow tables of at most BATCH_ROWS rows, generated as they are
    consumed: nothing holds a whole table. Per-batch random streams are keyed by the batch's
    first row, so the rows do not depend on who consumes them or how fast.
    """

    name: str
    columns: tuple[str, ...]
    rows: int
    make: Callable[[], Iterator[pa.Table]] = field(repr=False)

    def batches(self) -> Iterator[pa.Table]:
        return self.make()


def rng(seed: int, *stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, *stream])


# -- keyed streams: a value per index, computed from (seed, stream, index) alone ---------------
# splitmix64's finaliser over index * golden + key: random access, so a user's attributes are
# recomputed wherever they are needed (its spoke rows, its e-mail in a share) instead of held
# in per-user arrays.
_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


def _mix_int(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def _mix(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def bits(seed: int, stream: int, idx: np.ndarray) -> np.ndarray:
    key = np.uint64(_mix_int(((seed & _MASK) * _GOLDEN + stream * 0xD1B54A32D192ED03) & _MASK))
    return _mix(np.asarray(idx).astype(np.uint64) * np.uint64(_GOLDEN) + key)


def uniform(seed: int, stream: int, idx: np.ndarray) -> np.ndarray:
    """[0, 1) per index."""
    return (bits(seed, stream, idx) >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


def integers(seed: int, stream: int, idx: np.ndarray, high: int) -> np.ndarray:
    """[0, high) per index."""
    return (uniform(seed, stream, idx) * high).astype(np.int64)


def normal(seed: int, stream: int, idx: np.ndarray) -> np.ndarray:
    """Standard normal per index (Box-Muller over the streams `stream` and `stream + 1`)."""
    u1 = 1.0 - uniform(seed, stream, idx)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2 * np.pi * uniform(seed, stream + 1, idx))


def keyed_hex_ids(seed: int, stream: int, idx: np.ndarray) -> pa.Array:
    """128-bit ids as hex text per index (streams `stream` and `stream + 1`); unique per index,
    since the finaliser is a bijection of the 64-bit word."""
    words = np.empty((len(idx), 2), ">u8")
    words[:, 0] = bits(seed, stream, idx)
    words[:, 1] = bits(seed, stream + 1, idx)
    raw = np.frombuffer(binascii.hexlify(words.tobytes()), dtype="S32")
    return pa.array(raw).cast(pa.string())


def in_batches(arrays: Iterator[tuple[np.ndarray, ...]], render: Callable[..., pa.Table]) -> Iterator[pa.Table]:
    """Cut a stream of column-array tuples (e.g. one time window each) into batches of at most
    BATCH_ROWS rows; render(lo, *slices) gets each batch's global first row `lo`."""
    lo = 0
    for part in arrays:
        k = len(part[0])
        for start in range(0, k, BATCH_ROWS):
            stop = min(start + BATCH_ROWS, k)
            yield render(lo, *(a[start:stop] for a in part))
            lo += stop - start


def hex_ids(rng: np.random.Generator, n: int, nbytes: int = 16) -> pa.Array:
    """Random ids as hex text (PostgreSQL's uuid input accepts 32 hex digits without hyphens)."""
    raw = np.frombuffer(binascii.hexlify(rng.bytes(nbytes * n)), dtype=f"S{2 * nbytes}")
    return pa.array(raw).cast(pa.string())


def ordered(owner: np.ndarray, t_us: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(t_us, kind="stable")
    return owner[order], t_us[order]


def ts(epoch_us: int, rel_us: np.ndarray) -> pa.Array:
    """UTC timestamps as text for COPY ('2024-01-01 00:00:00.000000Z'): pyarrow writes a zoned
    timestamp column about 30x slower than it casts a naive one to text, and the text names
    its zone, so no session setting decides what it means."""
    naive = pc.cast(pa.array(rel_us + epoch_us, pa.timestamp("us")), pa.string())
    return pc.binary_join_element_wise(naive, pa.scalar("Z"), "")


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
