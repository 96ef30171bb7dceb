"""Bad server choices get one `error:` line and exit 2, before any server is touched."""
from __future__ import annotations

import pytest

from bench.cli import main


@pytest.mark.parametrize("argv, said", [
    (["run", "--servers", "embedded,pg99", "--scale", "xs"], "unknown server 'pg99'"),
    (["run", "--servers", "embedded", "--dsn", "host=127.0.0.1", "--scale", "xs"], "not both"),
])
def test_bad_server_choices_are_refused_in_one_line(argv, said, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and said in err[0]
