"""The ``staffcast`` command.

Bad input prints what is wrong (file, row, column, key) and exits with code 2;
it never shows a traceback.
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

import warnings

from forecast.errors import InputError, InputWarning
from scenarios.folders import output_problems

EXIT_BAD_INPUT = 2
EXIT_NO_PLAN = 1
#: fewer paths than this give no meaningful 80% interval to score
MIN_PATHS = 20
SCHEDULER_HELP_RUN = ("where a data set's districts run (default: a local cluster, one worker per core) and a "
                      "stochastic plan's wait-and-see solves run (default: in this process): a Dask scheduler's "
                      "address, 'local' (the default), or 'serial' (everything in this process)")


def _progress():
    if not sys.stderr.isatty():
        return None
    return lambda msg: print(f"… {msg}", file=sys.stderr, flush=True)


def cmd_run(args) -> int:
    from scenarios.output import write_run
    from scenarios.runner import run
    from scenarios.schema import load_scenario

    scenario = load_scenario(args.scenario)
    result = run(scenario, progress=_progress(), out_dir=args.out, verbose=args.verbose, scheduler=args.scheduler)
    folder = write_run(result, args.out, args.lang)
    s = result.summary()
    print(f"{scenario.name}: shortfall {s['years'][0]}-{s['years'][-1]} with no action "
          f"{s['shortfall_no_action']:,.0f} FTE-years, after the plan {s['shortfall_after_plan']:,.0f}; "
          f"solver {result.plan.info.solver} {result.plan.info.status}" + _stochastic_line(result))
    if len(result.plan.violations):
        print(f"warning: the plan breaks {len(result.plan.violations)} hard limits; see plan_violations.csv")
    print(folder)
    return 0


def _stochastic_line(result) -> str:
    """The stochastic plan in a clause of the summary line (empty without one)."""
    if result.stochastic is None:
        return ""
    f = result.stochastic.figures()
    return (f"; robust plan over {f['paths']} paths, on {f['eval_paths']:,} fresh paths: expected shortfall "
            f"{f['shortfall_stochastic_fte']:,.0f} FTE-years against {f['shortfall_central_fte']:,.0f}, VSS "
            f"{f['vss_yuan'] / 1e8:,.2f} ± {f['vss_se_yuan'] / 1e8:,.2f} (100m yuan-equivalent)")


def cmd_compare(args) -> int:
    from scenarios.compare import compare, library
    from scenarios.compare_report import write_comparison
    from scenarios.schema import load_scenario
    from scenarios.validate import check_scenario

    files = args.scenarios or library()
    scenarios = [load_scenario(f) for f in files]
    for s in scenarios:  # every scenario and its data checked before any runs
        check_scenario(s, args.out)
    comp = compare(scenarios, progress=_progress(), scheduler=args.scheduler, verbose=args.verbose)
    folder = write_comparison(comp, args.out, args.lang)
    table = comp.summary
    print("scenario                    shortfall 3y  after plan  all years  peak posts     hires   cost (100m)")
    for r in table.itertuples(index=False):
        print(f"{r.scenario:<26} {r.shortfall_no_action_3y:>13,.0f} {r.shortfall_3y:>11,.0f} "
              f"{r.shortfall_all_years:>10,.0f} {r.posts_peak:>11,.0f} {r.hires:>9,.0f} {r.cost / 1e8:>12,.1f}")
    print(folder)
    return 0


def cmd_rerun(args) -> int:
    from scenarios.output import write_run
    from scenarios.rerun import scenario_from_manifest
    from scenarios.runner import run

    scenario = scenario_from_manifest(args.manifest)
    out = args.out
    if out is None:  # beside the old run; a compared scenario's run goes beside the comparison
        out = args.manifest.resolve().parent.parent
        if (out / "comparison.csv").exists():
            out = out.parent
    result = run(scenario, progress=_progress(), out_dir=out, verbose=args.verbose, scheduler=args.scheduler)
    folder = write_run(result, out, args.lang or "zh")
    print(folder)
    return 0


def cmd_validate(args) -> int:
    from scenarios.schema import load_scenario
    from scenarios.validate import check_scenario

    scenario = load_scenario(args.scenario)
    check_scenario(scenario, args.out)
    print(f"{args.scenario}: ok ({scenario.name}; extends chain of {len(scenario.chain)} file(s))")
    return 0


def _origins(text: str) -> list[int]:
    try:
        a, _, b = text.partition("-")
        lo, hi = int(a), int(b or a)
    except ValueError:
        raise argparse.ArgumentTypeError(f"origins must be YEAR or YEAR-YEAR, not '{text}'") from None
    if hi < lo:
        raise argparse.ArgumentTypeError(f"origins {text}: the last year is before the first")
    return list(range(lo, hi + 1))


def _check_backtest_out(args) -> None:
    """--out must not be an input, a folder, or (without --force) an existing file."""
    out = args.out
    inputs = [p for p in (args.births, args.enrolment, args.stage_totals) if p is not None]
    for p in inputs:
        if out.resolve() == p.resolve() or (out.exists() and p.exists() and out.samefile(p)):
            raise InputError(f"{out}: --out is one of the back-test's own inputs; choose another file")
    if out.is_dir():
        raise InputError(f"{out}: --out is a folder; give a CSV file name")
    if out.exists() and not args.force:
        raise InputError(f"{out}: --out exists; choose a new file, or add --force to replace it")
    problems = output_problems(out.parent if str(out.parent) else Path("."))
    if problems:
        raise InputError(problems[0])


def cmd_backtest(args) -> int:
    from forecast.backtest import backtest, format_scores
    from forecast.grades import GradeMap
    from scenarios.inputs import read_table

    _check_backtest_out(args)
    births = read_table(args.births, "births", allow_gaps=True)
    if args.enrolment:
        data = dict(enrolment=read_table(args.enrolment, "enrolment", allow_gaps=True))
    else:
        data = dict(stage_totals=read_table(args.stage_totals, "stage_totals", allow_gaps=True))
    bt = backtest(births, GradeMap(), args.origins, args.horizon, estimator=args.estimator, paths=args.paths,
                  seed=args.seed, **data)
    if bt.empty:
        raise InputError("back-test: no target year has an actual value to compare with")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(f".{args.out.name}.partial")
    bt.to_csv(tmp, index=False, float_format="%.3f")
    tmp.replace(args.out)
    for line in bt.attrs.get("notes", []) + format_scores(bt):
        print(line)
    print(args.out)
    return 0


def cmd_generate(args) -> int:
    from scenarios.generate import write

    print(write(args.kind, args.out, args.seed))
    return 0


def _scheduler(text: str) -> str | None:
    """'local' is a local Dask cluster (the engine's None); anything else as given."""
    return None if text == "local" else text


def _bounded_int(lo: int, hi: int, what: str):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be a whole number, not '{text}'") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{what} is {value}; allowed: {lo} to {hi}")
        return value
    return parse


class _Parser(argparse.ArgumentParser):
    """Bad arguments: one line naming the argument, exit code 2 (no usage dump)."""

    def error(self, message: str):
        self.exit(EXIT_BAD_INPUT, f"staffcast: error: {message} (see 'staffcast {self.prog.split()[-1]} --help')\n"
                  if " " in self.prog else f"staffcast: error: {message} (see 'staffcast --help')\n")


def build_parser() -> argparse.ArgumentParser:
    from forecast.enrolment import ForecastParams
    from forecast.settings import settings_of

    fc = {s.name: s for s in settings_of(ForecastParams)}
    p = _Parser(prog="staffcast", description="Teacher posts: forecast, gap and staffing plan.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    r = sub.add_parser("run", help="run a scenario (default: the embedded district's baseline)")
    r.add_argument("scenario", nargs="?", default=None, help="scenario TOML file")
    r.add_argument("--out", default="runs", type=Path, help="folder for run folders (default: ./runs)")
    r.add_argument("--lang", default="zh", choices=("zh", "en"), help="report language (default: zh)")
    r.add_argument("--verbose", action="store_true", help="show the solver's log")
    r.add_argument("--scheduler", default=None, type=_scheduler, metavar="ADDRESS", help=SCHEDULER_HELP_RUN)
    r.set_defaults(func=cmd_run)
    c = sub.add_parser("compare", help="run several scenarios and compare them (default: the scenario library)")
    c.add_argument("scenarios", nargs="*", type=Path, help="scenario TOML files; the first is the reference")
    c.add_argument("--out", default="runs", type=Path, help="folder for the comparison folder (default: ./runs)")
    c.add_argument("--lang", default="zh", choices=("zh", "en"), help="report language (default: zh)")
    c.add_argument("--verbose", action="store_true", help="show the solver's log")
    c.add_argument("--scheduler", default=None, type=_scheduler, metavar="ADDRESS",
                   help="run on this Dask scheduler (default: a local cluster, one worker per core; "
                        "'serial': one after another in this process)")
    c.set_defaults(func=cmd_compare)
    v = sub.add_parser("validate", help="check a scenario and its data without running it")
    v.add_argument("scenario", help="scenario TOML file")
    v.add_argument("--out", default="runs", type=Path, help="folder the run would be written to (default: ./runs)")
    v.set_defaults(func=cmd_validate)
    rr = sub.add_parser("rerun", help="run again from a run's manifest.json (same inputs, same seed)")
    rr.add_argument("manifest", type=Path, help="manifest.json of an earlier run")
    rr.add_argument("--out", default=None, type=Path, help="folder for the new run (default: beside the old one)")
    rr.add_argument("--lang", default=None, choices=("zh", "en"))
    rr.add_argument("--verbose", action="store_true", help="show the solver's log")
    rr.add_argument("--scheduler", default=None, type=_scheduler, metavar="ADDRESS", help=SCHEDULER_HELP_RUN)
    rr.set_defaults(func=cmd_rerun)
    b = sub.add_parser("backtest", help="project from past origins and compare with what happened")
    b.add_argument("--births", required=True, type=Path, help="births CSV (region, year, births)")
    src = b.add_mutually_exclusive_group(required=True)
    src.add_argument("--enrolment", type=Path, help="enrolment by grade CSV (region, year, grade, students)")
    src.add_argument("--stage-totals", type=Path,
                     help="stage totals CSV (region, year, stage, students[, entrants, graduates])")
    b.add_argument("--origins", required=True, type=_origins, help="origin years, e.g. 2013-2016")
    h = fc["horizon"]
    b.add_argument("--horizon", required=True, type=_bounded_int(int(h.lo), int(h.hi), "--horizon"),
                   help="years ahead to compare")
    b.add_argument("--out", required=True, type=Path, help="CSV to write, one row per region, stage, origin, year")
    b.add_argument("--force", action="store_true", help="replace --out if it exists")
    b.add_argument("--estimator", default=fc["estimator"].default, choices=fc["estimator"].choices)
    b.add_argument("--paths", default=500, type=_bounded_int(MIN_PATHS, int(fc["paths"].hi), "--paths"),
                   help=f"Monte Carlo paths for the intervals (default 500, at least {MIN_PATHS})")
    b.add_argument("--seed", default=0, type=_bounded_int(int(fc["seed"].lo), int(fc["seed"].hi), "--seed"))
    b.set_defaults(func=cmd_backtest)
    g = sub.add_parser("generate", help="write a synthetic city or country scenario (for benchmarks and trials)")
    g.add_argument("kind", choices=("city", "country"), help="16 districts, or ~2,850 county units")
    g.add_argument("--out", required=True, type=Path, help="a new folder for scenario.toml and its CSVs")
    g.add_argument("--seed", default=0, type=_bounded_int(0, 2**32 - 1, "--seed"))
    g.set_defaults(func=cmd_generate)
    return p


def _sigterm_as_interrupt(signum, frame):
    raise KeyboardInterrupt


def _warn(message, category, filename, lineno, file=None, line=None):
    print(f"staffcast: warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """The command line: 0 done, 1 the solver found no plan, 2 bad input
    (one line per problem), 130 interrupted."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a bad argument (2, already printed)
        return int(exc.code or 0)
    # SIGTERM (kill, a job scheduler) stops a run like Ctrl-C does, so that it
    # cleans up its temporary folder
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _sigterm_as_interrupt) if in_main else None
    from optimize.solve import NoPlan

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", InputWarning)
            warnings.showwarning = _warn
            return args.func(args)
    except InputError as exc:
        for line in str(exc).splitlines():
            print(f"staffcast: error: {line}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except NoPlan as exc:
        print(f"staffcast: error: {exc}", file=sys.stderr)
        return EXIT_NO_PLAN
    except KeyboardInterrupt:
        print("staffcast: interrupted; no run folder was written", file=sys.stderr)
        return 130
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
