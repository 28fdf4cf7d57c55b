"""The ``staffcast`` command.

Bad input prints what is wrong (file, row, column, key) and exits with code 2;
it never shows a traceback.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from forecast.errors import InputError

EXIT_BAD_INPUT = 2


def _progress():
    if not sys.stderr.isatty():
        return None
    return lambda msg: print(f"… {msg}", file=sys.stderr, flush=True)


def cmd_run(args) -> int:
    from scenarios.output import write_run
    from scenarios.runner import run
    from scenarios.schema import load_scenario

    scenario = load_scenario(args.scenario)
    result = run(scenario, progress=_progress())
    folder = write_run(result, args.out, args.lang)
    s = result.summary()
    print(f"{scenario.name}: shortfall {s['years'][0]}-{s['years'][-1]} with no action "
          f"{s['shortfall_no_action']:,.0f} FTE-years, after the plan {s['shortfall_after_plan']:,.0f}; "
          f"solver {result.plan.info.solver} {result.plan.info.status}")
    if len(result.plan.violations):
        print(f"warning: the plan breaks {len(result.plan.violations)} hard limits; see plan_violations.csv")
    print(folder)
    return 0


def cmd_validate(args) -> int:
    from scenarios.runner import grade_map_of, load_inputs
    from scenarios.schema import load_scenario

    scenario = load_scenario(args.scenario)
    load_inputs(scenario, grade_map_of(scenario))
    print(f"{args.scenario}: ok ({scenario.name}; extends chain of {len(scenario.chain)} file(s))")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="staffcast", description="Teacher posts: forecast, gap and staffing plan.")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run a scenario (default: the embedded district's baseline)")
    r.add_argument("scenario", nargs="?", default=None, help="scenario TOML file")
    r.add_argument("--out", default="runs", type=Path, help="folder for run folders (default: ./runs)")
    r.add_argument("--lang", default="zh", choices=("zh", "en"), help="report language (default: zh)")
    r.set_defaults(func=cmd_run)
    v = sub.add_parser("validate", help="check a scenario and its data without running it")
    v.add_argument("scenario", help="scenario TOML file")
    v.set_defaults(func=cmd_validate)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except InputError as exc:
        for line in str(exc).splitlines():
            print(f"staffcast: error: {line}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("staffcast: interrupted; no run folder was written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
