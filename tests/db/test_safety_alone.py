"""An experiment run alone on a fresh dataset makes what it needs itself: `run rls` right after a
fresh seed used to fail on public.get_account_bundle, which only read_paths applied. Every
experiment of the registry is run so, each as its own `python -m bench run NAME --scale xs
--quick` command (tests/alone.py; about 2.5 min in all, most of it read_paths, concurrency and
pooler; the pooler tests read the pooler's run instead of making their own)."""
import pytest

from bench.experiments.registry import REGISTRY
from bench.results import store as results

pytestmark = pytest.mark.db


@pytest.mark.slow
@pytest.mark.parametrize("name", list(REGISTRY))
def test_each_experiment_runs_alone_as_its_own_command_on_a_fresh_dataset(run_alone, name):
    ran = run_alone(name)
    assert ran.done.returncode == 0, ran.done.stderr[-3000:]
    assert ran.run_dir is not None and results.validate(ran.run_dir) == []
    assert len(results.load(ran.run_dir).table(name)) > 0
