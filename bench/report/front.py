"""The site around the pages: each page dressed (title, navigation, glossary links), the front
page (run, date, the verdict table, one line per page) and the glossary page."""
from __future__ import annotations

import html
import os
from pathlib import Path

from bench import config
from bench.report import answers, claims, glossary, site
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
            shown = Path(run.path).resolve()
            shown = os.path.relpath(shown, config.REPO) if shown.is_relative_to(config.REPO) else shown
            ref = next(iter(sorted(config.REFERENCE.glob("2*"))), None)
            ref_shown = f"data/reference/{ref.name}" if ref is not None else "data/reference/&lt;run&gt;"
            parts.append(f'<p>This is your own run. <a href="{html.escape(reference_pages)}">The reference run\'s '
                         f'pages</a>; set the two side by side with <code>python -m bench compare {ref_shown} '
                         f'{html.escape(str(shown))}</code>.</p>')
        fs = claims.findings(rec if rec is not None else run)
        parts.append(f"<p>{html.escape(text.counts(fs))} Every label follows from its claim's rule; latency verdicts "
                     "are median statements. Three questions an architect brings, answered from the findings "
                     f'record (<a href="{claims.FILENAME}">{claims.FILENAME}</a>):</p>')
        parts.append(answers.html_answers(fs))
        parts.append('<h2 id="headline-chart">The memo\'s comparison table, measured</h2>'
                     '<p><a href="00-verdicts.html#fig-verdicts-comparison"><img class="headline" '
                     'src="figures/fig-verdicts-comparison.png" alt="the memo\'s comparison table with the verdict '
                     'decided for each row"></a></p>')
        parts.append('<h2 id="bottom-line">The bottom line</h2>' + text.bottom_line_html(fs))
        parts.append('<h2 id="claims">The memo\'s claims, measured</h2>' + text.table_html(fs, page="00-verdicts.html"))
    items = "".join(f'<li><a href="{html.escape(stem)}.html">{html.escape(title)}</a></li>' for stem, title in pages.items())
    parts.append(f'<h2 id="pages">Pages</h2><ul>{items}<li><a href="glossary.html">Glossary</a></li></ul>')
    return "".join(parts)
