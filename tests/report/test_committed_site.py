"""The committed reference pages, as a reader opens them."""
import pytest

from bench import config

from site_checks import check_site

pytestmark = pytest.mark.browser


def test_the_committed_reference_site_is_whole():
    assert check_site(config.REPORTS, config.NOTEBOOKS) == []


def test_the_check_sees_a_broken_image_and_a_dead_anchor(tmp_path):
    (tmp_path / "index.html").write_text('<p><img src="missing.png"><a href="#nowhere">x</a></p>')
    (tmp_path / "glossary.html").write_text("<p id=ok>ok</p>")
    problems = check_site(tmp_path)
    assert any("did not load" in p for p in problems) and any("#nowhere" in p for p in problems)
