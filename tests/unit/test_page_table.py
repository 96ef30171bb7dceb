"""Tables for people: a row number is not a column, a named index is; counts read as integers."""
import pandas as pd

from bench.report import page


def _headers(html: str) -> list[str]:
    return [h.split("</th>")[0] for h in html.split("<th>")[1:]]


def test_a_filtered_frame_shows_no_index_column_and_a_named_index_stays():
    df = pd.DataFrame({"scale": ["s", "m", "m"], "users": [10.0, 20.0, 30.0]})
    shown = page.table(df[df.scale == "m"]).data
    assert _headers(shown) == ["scale", "users"] and "<td>20</td>" in shown and "20.0" not in shown
    named = page.table(df.set_index("scale")).data
    assert _headers(named) == ["scale", "users"]
