"""Every statement of the suite as a .sql file under this folder, and its loader.

Plain file reads: no driver is imported, so the read side (notebooks, report) can show the
exact SQL it charts by reading the same file the experiments run.
"""
from __future__ import annotations

from importlib import resources


def sql_text(name: str) -> str:
    """The text of bench/sql/<name>."""
    return resources.files("bench").joinpath("sql", name).read_text()
