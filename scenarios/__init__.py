"""Scenarios, the runner, the budget pack and the ``staffcast`` command.

Scripting API::

    from scenarios import load_scenario, run, write_run
    s = load_scenario().override(plan={"cap_change": 200})
    result = run(s)
    result.plan.staff        # tidy frames
    write_run(result, "runs")

The names are imported when first used, so that ``import scenarios`` (and
the command line's argument parsing) does not pay for pandas, the solver and
matplotlib.
"""
from importlib import import_module

_WHERE = {"load_scenario": "scenarios.schema", "Scenario": "scenarios.schema", "run": "scenarios.runner",
          "RunResult": "scenarios.result", "write_run": "scenarios.output"}
__all__ = list(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'scenarios' has no attribute {name!r}")
    return getattr(import_module(_WHERE[name]), name)
