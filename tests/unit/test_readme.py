"""The README for a newcomer (issue 29): the two commands under the title, then the findings and
what to do in at most 300 words, and every link in the README and docs/ resolves inside a clone."""
import re

from bench import config

README = config.REPO / "README.md"
LINK = re.compile(r"\]\(([^)\s]+)\)")


def words(md: str) -> int:
    md = re.sub(r"<!--.*?-->", "", LINK.sub("]", md), flags=re.S)
    return len(re.findall(r"[A-Za-z0-9][\w'.%-]*", md))


def test_the_first_screen_holds_the_two_commands_then_the_findings_in_300_words():
    text = README.read_text()
    intro, rest = text.split("## What it found", 1)
    assert "make report" in intro and "make test" in intro and len(intro.splitlines()) <= 12, \
        "the two commands belong right under the title, above the findings"
    found = rest.split("## The two commands", 1)[0]
    assert "What to do instead" in found
    prose = re.sub(r"```.*?```", "", intro, flags=re.S) + found  # the commands' block is not prose
    assert words(prose) <= 300, f"the findings and what to do run to {words(prose)} words"


def dead_links(path) -> list[str]:
    out = []
    for target in LINK.findall(path.read_text()):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        file = (path.parent / target.split("#", 1)[0]).resolve()
        if not file.is_relative_to(config.REPO) or not file.exists():
            out.append(f"{path.name}: {target}")
    return out


def test_every_link_resolves_inside_the_clone():
    pages = [README, *sorted((config.REPO / "docs").glob("*.md"))]
    assert [p for page in pages for p in dead_links(page)] == []


def test_the_link_check_sees_a_link_outside_the_clone(tmp_path):
    page = config.REPO / "docs" / "memo.md"
    assert dead_links(page) == []
    bad = tmp_path / "x.md"
    bad.write_text("[memo](../shared/seed-memo.md) [ok](https://example.org)")
    assert len(dead_links(bad)) == 1
