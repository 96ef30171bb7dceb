"""environment.yml gives conda users the same pinned packages as pyproject.toml."""
import re
import tomllib

from bench import config


def _name(req: str) -> str:
    return re.split(r"[\[=<>!~ ]", req, maxsplit=1)[0].lower()


def test_environment_yml_pins_match_pyproject():
    project = tomllib.loads((config.REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    yml = (config.REPO / "environment.yml").read_text()
    pip_lines = [line.strip()[2:] for line in yml.splitlines() if line.startswith("      - ")]
    assert sorted(pip_lines, key=_name) == sorted(project, key=_name)
    assert "python=3.11" in yml


def test_paths_inside_the_checkout_are_recorded_relative():
    from bench import config
    from bench.db.environment import repo_relative

    assert repo_relative(str(config.REPO / "data" / "pg" / "sock")) == "./data/pg/sock"
    assert repo_relative("/elsewhere/x") == "/elsewhere/x" and repo_relative(5) == 5
