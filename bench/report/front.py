"""The site around the pages: each page dressed (title, navigation, glossary links), the front
page (run, date, the verdict table, one line per page) and the glossary page."""
from __future__ import annotations

import html
from pathlib import Path

from bench.report import claims, glossary, site
from bench.report.claims import text


def write_site(out_dir: Path, pages: dict[str, str], run, fresh: set[str], reference_pages: str = "") -> list[Path]:
    """`pages`: stem -> title of every page in out_dir; `fresh`: those rendered now (dressed once)."""
    run_id = run.id if run is not None else "no run"
    rendered = site.stamp()
    order = list(pages)
    extra = (f'<a href="{html.escape(reference_pages)}">the reference run\'s pages</a>' if reference_pages else "")
    for stem in fresh:
        path = out_dir / f"{stem}.html"
        bar = site.nav(stem, order, run_id, rendered, extra)
        path.write_text(glossary.link_terms(site.dress(path.read_text(), pages[stem], bar)))
    rec = None
    if run is not None:  # the findings record, written once; the front page and the README quote it
        rec = claims.record(run)
        claims.write(out_dir, rec)
    index = out_dir / "index.html"
    index.write_text(site.standalone("Does the star-schema memo hold up?", site.nav("index", order, run_id, rendered, extra),
                                     front_page(run, pages, rendered, reference_pages, rec)))
    gloss = out_dir / "glossary.html"
    gloss.write_text(site.standalone("Glossary", site.nav("glossary", order, run_id, rendered, extra),
                                     glossary.page_content()))
    return [index, gloss]


def front_page(run, pages: dict[str, str], rendered: str, reference_pages: str = "", rec: dict | None = None) -> str:
    parts = ["<h1>Does the star-schema memo hold up on a real PostgreSQL?</h1>"]
    if run is not None:
        m = run.meta
        parts.append(f"<p>Run <code>{html.escape(run.id)}</code> (git {html.escape(str(m.get('git_sha', ''))[:7])}), "
                     f"scales {html.escape(str(m.get('scale')))}, PostgreSQL "
                     f"{html.escape(str(m.get('versions', {}).get('postgresql', '?')))}, "
                     f"{html.escape(str(m.get('machine', {}).get('cores', '?')))} cores; rendered {html.escape(rendered)}.</p>")
        if reference_pages:
            parts.append(f'<p>This is your own run. <a href="{html.escape(reference_pages)}">The reference run\'s '
                         f'pages</a>; set the two side by side with <code>python -m bench compare data/reference/&lt;run&gt; '
                         f'{html.escape(str(run.path))}</code>.</p>')
        fs = claims.findings(rec if rec is not None else run)
        parts.append("<h2>The bottom line</h2>" + text.bottom_line_html(fs))
        parts.append("<h2>The memo's claims, measured</h2>" + text.table_html(fs, page="00-verdicts.html")
                     + f'<p>The findings record: <a href="{claims.FILENAME}">{claims.FILENAME}</a>.</p>')
    items = "".join(f'<li><a href="{html.escape(stem)}.html">{html.escape(title)}</a></li>' for stem, title in pages.items())
    parts.append(f'<h2>Pages</h2><ul>{items}<li><a href="glossary.html">Glossary</a></li></ul>')
    return "".join(parts)
