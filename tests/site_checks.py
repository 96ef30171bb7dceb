"""What a reader sees of a rendered site, checked in headless Chromium: every page opens without
errors, every image loaded, every internal link and anchor resolves, every figure a notebook
publishes is on its page as a loaded image under its anchor."""
from __future__ import annotations

import html
import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from bench.report import browser, figindex

IDS = re.compile(r'\bid="([^"]+)"')


def need_browser():
    if browser.executable() is None:
        if os.environ.get("CI"):
            pytest.fail(browser.INSTALL_HINT)
        pytest.skip(browser.INSTALL_HINT)
    return browser.Browser()


def pages_of(site: Path) -> list[Path]:
    return [site / "index.html", site / "glossary.html", *sorted(site.glob("[0-9][0-9]-*.html"))]


LINKS = "Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))"
IMAGES = "Array.from(document.images).map(i => [i.currentSrc.slice(0, 80), i.naturalWidth])"
FIGURE_SHOWN = """(id => { const a = document.getElementById(id); if (!a) return 'no anchor';
  let n = a; while ((n = n.nextElementSibling || (n.parentElement && n.parentElement.closest('.jp-Cell, .jp-OutputArea-child, body')
  ? n.parentElement : null))) { const img = n.tagName === 'IMG' ? n : n.querySelector && n.querySelector('img');
  if (img) return img.naturalWidth; } return 'no image after the anchor'; })"""


def check_site(site: Path, notebooks: Path | None = None) -> list[str]:
    """Every problem a reader would meet, as lines; empty when the site is whole."""
    problems = []
    published = figindex.saved_by_notebook(notebooks) if notebooks else {}
    ids_cache: dict[Path, set[str]] = {}

    def ids(path: Path) -> set[str]:
        if path not in ids_cache:
            ids_cache[path] = {html.unescape(i) for i in IDS.findall(path.read_text())} if path.exists() else set()
        return ids_cache[path]

    with need_browser() as b:
        for page in pages_of(site):
            if not page.exists():
                problems.append(f"{page.name}: missing")
                continue
            b.open(page.resolve().as_uri())
            problems += [f"{page.name}: logged {e}" for e in b.errors()]
            problems += [f"{page.name}: image {src} did not load" for src, w in b.evaluate(IMAGES) if not w]
            for href in b.evaluate(LINKS):
                parts = urlsplit(href)
                if parts.scheme or href.startswith("//"):
                    continue  # external: not ours to check
                target = (page.parent / unquote(parts.path)).resolve() if parts.path else page.resolve()
                if not target.exists():
                    problems.append(f"{page.name}: link {href} leads nowhere")
                elif parts.fragment and target.suffix == ".html" and not {parts.fragment, unquote(parts.fragment)} & ids(target):
                    problems.append(f"{page.name}: anchor {href} is not on {target.name}")
            for fig in [f for f in published.get(page.stem, []) if (site / "figures" / f"{f}.png").exists()]:
                shown = b.evaluate(f"{FIGURE_SHOWN}({fig!r})")
                if not isinstance(shown, (int, float)) or shown <= 0:
                    problems.append(f"{page.name}: figure {fig} not shown ({shown})")
    return problems
