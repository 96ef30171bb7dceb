"""What a notebook puts on its page besides figures: the run header, tables formatted for
readers, and the SQL a section charts, folded away in a collapsible block."""
from __future__ import annotations

import html

import numpy as np
import pandas as pd

from bench.sql import sql_text


def run_header(run, extra: str = "") -> str:
    """One paragraph (Markdown) saying which run, code, data, server and machine the page reads."""
    m = run.meta
    dirty = ", dirty tree" if m.get("git_dirty") else ""
    return (f"Run `{run.id}` (git {str(m.get('git_sha', ''))[:7]}{dirty}): scales **{m.get('scale', '?')}**, "
            f"seed {m.get('seed', '?')}, dataset `{str(m.get('fingerprint', ''))[:12]}`, "
            f"PostgreSQL {m.get('versions', {}).get('postgresql', '?')}, "
            f"{m.get('machine', {}).get('cores', '?')} cores ({m.get('machine', {}).get('cpu_model', '?')}), "
            f"{m.get('topology', '?')}." + (f" {extra}" if extra else ""))


def _cell(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "–"
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    if isinstance(v, (float, np.floating)):
        return f"{int(v):,}" if float(v).is_integer() and abs(v) >= 1 else f"{v:,.3g}" if abs(v) < 100 else f"{v:,.0f}"
    return str(v)


def table(df: pd.DataFrame, note: str = ""):
    """A table for people: no index column, counts as integers, '–' for a value the cell does not
    have (explained by `note` under the table), long values kept whole."""
    from IPython.display import HTML

    if not isinstance(df.index, pd.RangeIndex):  # a named index is a column; a row number is not
        df = df.reset_index(drop=all(n is None for n in df.index.names))
    if isinstance(df.columns, pd.MultiIndex):
        df.columns = [" · ".join(str(x) for x in c if str(x)) for c in df.columns]
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in r) + "</tr>"
                   for r in df.itertuples(index=False))
    foot = f'<p class="table-note">{html.escape(note)}</p>' if note else ""
    # in a box of the page's width that scrolls sideways: a wide table never runs off a narrow screen
    return HTML(f'<div class="table-wrap" style="overflow-x:auto;max-width:100%"><table class="dataframe reader">'
                f'<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>{foot}')


def sql(name: str, summary: str = "") -> None:
    """Show the exact statement a section charts (bench/sql/<name>), folded."""
    from IPython.display import HTML, display

    display(HTML(f"<details class=\"sql\"><summary>{html.escape(summary or 'SQL: ' + name)}</summary>"
                f"<pre>{html.escape(sql_text(name))}</pre></details>"))


def plan(text: str, summary: str) -> None:
    """Show a query plan (EXPLAIN's text), folded; a cell that timed out has none (NaN)."""
    from IPython.display import HTML, display

    if not isinstance(text, str):
        text = "(no plan recorded: the statement ran past the timeout)"

    display(HTML(f"<details class=\"sql\"><summary>{html.escape(summary)}</summary><pre>{html.escape(text)}</pre></details>"))
