"""One palette: every colour means one thing across the report, and charts take colours from it."""
import re
from collections import Counter

from bench import config
from bench.report import palette

LITERAL = re.compile(r"""["']#[0-9a-fA-F]{3,8}["']|color=["'](?!none)[a-z]+["']""")


def test_no_two_things_share_a_colour():
    shared = [c for c, n in Counter(col.lower() for _, col in palette.ENTRIES.values()).items() if n > 1]
    assert shared == []


def test_charts_take_their_colours_from_the_palette():
    found = {p.name: LITERAL.findall(p.read_text()) for p in (config.REPO / "bench/report/charts").glob("*.py")}
    assert {k: v for k, v in found.items() if v} == {}
