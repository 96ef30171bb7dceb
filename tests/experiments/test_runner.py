"""The runner owns the scale loop: which step runs at which scale, in which order."""
from types import SimpleNamespace

from bench.experiments.common import LARGEST, Step
from bench.experiments.registry import REGISTRY
from bench.experiments.runner import schedule


def every(ctx):
    return []


def once(ctx):
    return []


def at_l(ctx):
    return []


MOD = SimpleNamespace(NAME="toy", STEPS=(Step(every), Step(once, at=LARGEST), Step(at_l, at=("l",), quick=False)))


def plan(scales, quick=False, modules=(MOD,)):
    return [(scale, step.run.__name__) for scale, _, step in schedule(modules, scales, quick)]


def test_every_scale_smallest_first_then_once_at_the_largest():
    assert plan(["m", "s"]) == [("s", "every"), ("m", "every"), ("m", "once"), ("l", "at_l")]


def test_a_steps_own_scale_is_skipped_when_the_run_has_it():
    assert plan(["s", "l"]) == [("s", "every"), ("l", "every"), ("l", "once")]


def test_quick_runs_skip_the_steps_that_say_so():
    assert plan(["xs"], quick=True) == [("xs", "every"), ("xs", "once")]


def test_every_registered_experiment_declares_its_steps():
    for name, module in REGISTRY.items():
        assert module.NAME == name and module.STEPS, name
        assert all(isinstance(s, Step) and callable(s.run) for s in module.STEPS), name
