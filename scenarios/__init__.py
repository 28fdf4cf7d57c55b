"""Scenarios, the runner, the budget pack and the ``staffcast`` command.

Scripting API::

    from scenarios import load_scenario, run, write_run
    s = load_scenario().override(plan={"cap_change": 200})
    result = run(s)
    result.plan.staff        # tidy frames
    write_run(result, "runs")
"""
from scenarios.output import write_run
from scenarios.runner import RunResult, run
from scenarios.schema import Scenario, load_scenario

__all__ = ["load_scenario", "run", "write_run", "Scenario", "RunResult"]
