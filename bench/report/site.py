"""The rendered report as a site: each page's chrome (a real title, the run id and render date,
a navigation bar: front page, verdicts, glossary, previous, next) and the front page."""
from __future__ import annotations

import html
import re
from datetime import UTC, datetime

CSS = """
body{max-width:1100px;margin:0 auto;font-family:system-ui,-apple-system,'Segoe UI',sans-serif;color:#222}
nav.site{position:sticky;top:0;z-index:10;background:#fff;border-bottom:1px solid #ddd;padding:8px 12px;
 display:flex;gap:14px;flex-wrap:wrap;font-size:14px;align-items:baseline}
nav.site a{color:#1f4e8c;text-decoration:none} nav.site a:hover{text-decoration:underline}
nav.site .run{margin-left:auto;color:#666;font-size:12px}
p.fig-ref{font-size:12px;color:#666;margin:18px 0 2px} p.fig-ref a{color:#666}
.jp-RenderedImage img,.output_png img{max-width:100%;height:auto}
table.reader{border-collapse:collapse;font-size:13px;margin:6px 0}
table.reader th,table.reader td{border-bottom:1px solid #e4e4e4;padding:3px 8px;text-align:left}
table.reader td{font-variant-numeric:tabular-nums}
p.table-note{font-size:12px;color:#666}
.jp-RenderedMarkdown table th,.jp-RenderedMarkdown table td{text-align:left;vertical-align:top}
details.sql{margin:8px 0} details.sql pre{background:#f7f7f7;padding:8px;overflow-x:auto;font-size:12px}
:target{scroll-margin-top:60px}
.verdict-right{background:#e5f5e0}.verdict-only{background:#fff3d6}.verdict-wrong{background:#fde0dc}
.verdict-tie{background:#eeeeee}.verdict-none{background:#f7f7f7}
main{padding:0 12px} img.headline{max-width:100%;height:auto;border:1px solid #eee}
section.answer{border-left:4px solid #1f4e8c;padding:0 0 0 14px;margin:18px 0}
section.answer h2{margin:6px 0;font-size:1.25em} section.answer h2 a{color:inherit;text-decoration:none}
section.answer p,section.answer li{line-height:1.45}
table.verdicts{display:block;overflow-x:auto;max-width:100%}
table.verdicts th,table.verdicts td{text-align:left!important;vertical-align:top!important}
table.verdicts td:nth-child(2){min-width:7em;max-width:16em}
@media (max-width:700px){body{font-size:15px} h1{font-size:1.5em} nav.site .run{margin-left:0}
 table.reader{font-size:12px}}
"""


REMOTE_SCRIPT = re.compile(r"<script[^>]*\bsrc=\"https?://[^\"]*\"[^>]*>\s*</script>")


def stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def nav(stem: str, pages: list[str], run_id: str, rendered: str, extra_links: str = "") -> str:
    """The bar at the top of every page; `pages` are the page stems in reading order."""
    i = pages.index(stem) if stem in pages else -1
    prev_link = f'<a href="{pages[i - 1]}.html">← previous</a>' if i > 0 else ""
    next_link = f'<a href="{pages[i + 1]}.html">next →</a>' if 0 <= i < len(pages) - 1 else ""
    return (f'<nav class="site"><a href="index.html">star-bench report</a><a href="00-verdicts.html">verdicts</a>'
            f'<a href="glossary.html">glossary</a>{prev_link}{next_link}{extra_links}'
            f'<span class="run">run {html.escape(run_id)} · rendered {html.escape(rendered)}</span></nav>')


def dress(body: str, title: str, bar: str) -> str:
    """An exported notebook page with its title, the site's style and the navigation bar."""
    body = REMOTE_SCRIPT.sub("", body)  # require.js and MathJax from a CDN: the pages need neither
    body = re.sub(r"<title>.*?</title>", f"<title>{html.escape(title)} · star-bench</title>", body, count=1, flags=re.S)
    body = body.replace("</head>", f"<style>{CSS}</style>\n</head>", 1)
    return re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + bar, body, count=1)


def standalone(title: str, bar: str, content: str) -> str:
    return (f"<!doctype html>\n<html lang=en><head><meta charset=utf-8><title>{html.escape(title)} · star-bench</title>"
            f"<meta name=viewport content='width=device-width, initial-scale=1'><style>{CSS}</style></head>"
            f"<body>{bar}<main>{content}</main></body></html>\n")
