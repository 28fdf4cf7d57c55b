"""The comparison pack of ``staffcast compare``: its folder (CSVs, a
sub-folder per scenario) and report.pdf, one chart or table per page,
Chinese by default, English on request."""
from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.backends.backend_pdf import PdfPages

from forecast.grades import STAGES
from scenarios.compare import Comparison, title
from scenarios.folders import atomic_folder, run_name
from scenarios.output import write_csv, write_frames, write_manifest
from scenarios.fonts import use_cjk
from scenarios.report import COLORS, PAGE, _page, _stage

TEXT = {
    "zh": dict(
        title="情景比较", table="情景一览（规划期 {y0}–{y1}）", diff="与“{ref}”相比的变化（正数为增加）",
        cols=["未来三年缺编\n不采取措施\n（人·年）", "未来三年缺编\n方案实施后\n（人·年）", "规划期缺编\n（人·年）",
              "临时代课\n（人·年）", "编制使用峰值\n（个）", "新招聘\n（人）", "跨学段/片区\n流动（人）",
              "总成本\n（亿元）", "期末超编\n（人）", "突破硬约束\n（处）"],
        scenario="情景", short_year="方案实施后缺编，按年（人）", short_none="不采取措施的缺编，按年（人）",
        short_stage="规划期缺编，按学段（人·年）", posts_year="编制使用，按年（个）", hires_year="新招聘，按年（人）",
        cost="规划期总成本（亿元）", surplus="期末超编（人）", moves="流动（人）",
        stage_moves="跨学段", region_moves="跨片区", year="学年"),
    "en": dict(
        title="Scenario comparison", table="Scenarios at a glance (plan years {y0}–{y1})",
        diff="Change against “{ref}” (positive = more)",
        cols=["Shortfall\nnext 3 yrs\nno action\n(FTE-yrs)", "Shortfall\nnext 3 yrs\nwith plan\n(FTE-yrs)",
              "Shortfall all\nplan years\n(FTE-yrs)", "Temporary\ncover\n(FTE-yrs)", "Peak posts\nused\n(posts)",
              "Hires\n(persons)", "Moves\n(persons)", "Cost\n(100m yuan)", "End surplus\n(FTE)",
              "Limits\nbroken"],
        scenario="Scenario", short_year="Shortfall with the plan, by year (FTE)",
        short_none="Shortfall with no action, by year (FTE)",
        short_stage="Shortfall over the plan years by stage (FTE-years)", posts_year="Posts used by year (posts)",
        hires_year="Hires by year (persons)", cost="Plan cost (100m yuan)",
        surplus="Surplus in the last plan year (FTE)", moves="Moves (persons)",
        stage_moves="between stages", region_moves="between areas", year="School year"),
}

TABLE_COLUMNS = ["shortfall_no_action_3y", "shortfall_3y", "shortfall_all_years", "temporary", "posts_peak",
                 "hires", "moves", "cost", "end_surplus", "violations"]


def _table_values(summary):
    t = summary.assign(moves=summary.stage_moves + summary.region_moves, cost=summary.cost / 1e8)
    return t[TABLE_COLUMNS]


def _fmt(col: str, v: float, signed: bool = False) -> str:
    spec = ",.1f" if col == "cost" else ",.0f"
    return format(v, ("+" if signed else "") + spec)


def _table_page(pdf, labels, values, heading, T, signed=False):
    fig = _page(T["title"])
    fig.text(0.04, 0.88, heading, fontsize=15)
    ax = fig.add_axes([0.02, 0.04, 0.96, 0.8])
    ax.axis("off")
    cells = [[label] + [_fmt(c, v, signed) for c, v in zip(TABLE_COLUMNS, row)]
             for label, row in zip(labels, values.to_numpy())]
    widths = [0.19] + [0.081] * len(TABLE_COLUMNS)
    tab = ax.table(cellText=cells, colLabels=[T["scenario"]] + T["cols"], colWidths=widths, loc="upper center",
                   cellLoc="right")
    tab.auto_set_font_size(False)
    tab.set_fontsize(11)
    tab.scale(1, 2.0)
    for (r, c), cell in tab.get_celld().items():
        if r == 0:
            cell.set_height(cell.get_height() * 2.6)
            cell.set_text_props(fontsize=9.5)
        elif c == 0:
            cell.set_text_props(ha="left")
        elif signed and c <= 4:  # shortfall and temporary cover: red where worse
            v = values.iloc[r - 1, c - 1]
            cell.set_text_props(color="#b30000" if v > 0.5 else "#2f6f2f" if v < -0.5 else "black")
    pdf.savefig(fig)
    plt.close(fig)


def _lines(ax, frame, value, labels, names):
    for i, (name, label) in enumerate(zip(names, labels)):
        d = frame[frame.scenario == name].groupby("year")[value].sum()
        ax.plot(d.index, d.to_numpy(), lw=2.2, marker="os^vD<>ph*"[i % 10], color=plt.cm.tab10(i % 10),
                ls="-" if i < 10 else "--", label=label)
    ax.tick_params(labelsize=11)


def _by_year_page(pdf, comp, T, labels, panels):
    fig = _page(T["title"])
    axes = fig.subplots(1, 2)
    fig.subplots_adjust(top=0.84, wspace=0.22, left=0.06, right=0.98, bottom=0.27)
    sy = comp.stage_year
    for ax, (value, heading) in zip(axes, panels):
        _lines(ax, sy, value, labels, comp.names)
        ax.set_title(heading, fontsize=14)
        ax.set_xlabel(T["year"], fontsize=12)
    axes[0].legend(fontsize=10, ncol=3, loc="upper left", bbox_to_anchor=(0.0, -0.12))
    pdf.savefig(fig)
    plt.close(fig)


def _stage_page(pdf, comp, T, labels, lang):
    fig = _page(T["short_stage"])
    ax = fig.add_axes([0.28, 0.08, 0.68, 0.78])
    by = comp.stage_year.groupby(["scenario", "stage"]).shortfall.sum().unstack("stage").reindex(comp.names)
    left = 0.0
    for stage in [s for s in STAGES if s in by.columns]:
        ax.barh(range(len(by)), by[stage], left=left, color=COLORS[stage], label=_stage(stage, lang))
        left = left + by[stage]
    ax.set_yticks(range(len(by)), labels, fontsize=11)
    ax.invert_yaxis()
    ax.legend(fontsize=11)
    ax.tick_params(axis="x", labelsize=11)
    pdf.savefig(fig)
    plt.close(fig)


def _totals_page(pdf, comp, T, labels):
    fig = _page(T["title"])
    axes = fig.subplots(1, 3, sharey=True)
    fig.subplots_adjust(top=0.84, wspace=0.12, left=0.22, right=0.98, bottom=0.08)
    s = comp.summary
    y = range(len(s))
    # dots, not bars: the axis does not start at zero, so that differences show
    axes[0].plot(s.cost / 1e8, list(y), "o", ms=11, color="#2171b5")
    axes[0].grid(axis="x", alpha=0.4)
    axes[0].set_title(T["cost"], fontsize=12)
    axes[1].barh(y, s.end_surplus, color="#fdae6b")
    axes[1].set_title(T["surplus"], fontsize=12)
    axes[2].barh(y, s.stage_moves, color="#74c476", label=T["stage_moves"])
    axes[2].barh(y, s.region_moves, left=s.stage_moves, color="#9e9ac8", label=T["region_moves"])
    axes[2].set_title(T["moves"], fontsize=12)
    axes[2].legend(fontsize=10)
    axes[0].set_yticks(list(y), labels, fontsize=11)
    axes[0].invert_yaxis()
    for ax in axes:
        ax.tick_params(axis="x", labelsize=10)
    pdf.savefig(fig)
    plt.close(fig)


def write_comparison_report(comp: Comparison, path: str | Path, lang: str = "zh") -> None:
    """Six pages: the table of numbers, the changes against the first
    scenario, shortfall by year, shortfall by stage, posts and hires by year,
    and cost, end surplus and moves."""
    if lang not in TEXT:
        raise ValueError(f"language '{lang}' is not 'zh' or 'en'")
    use_cjk()
    T = TEXT[lang]
    labels = [title(r, lang) for r in comp.results]
    years = comp.stage_year.year
    values = _table_values(comp.summary)
    with PdfPages(path, metadata={"Title": T["title"], "Creator": "staffcast"}) as pdf:
        _table_page(pdf, labels, values, T["table"].format(y0=years.min(), y1=years.max()), T)
        _table_page(pdf, labels, values - values.iloc[0], T["diff"].format(ref=labels[0]), T, signed=True)
        _by_year_page(pdf, comp, T, labels, [("shortfall", T["short_year"]), ("shortfall_no_action", T["short_none"])])
        _stage_page(pdf, comp, T, labels, lang)
        _by_year_page(pdf, comp, T, labels, [("posts_used", T["posts_year"]), ("hires", T["hires_year"])])
        _totals_page(pdf, comp, T, labels)


def write_comparison(comp: Comparison, out_dir: str | Path, lang: str = "zh") -> Path:
    """Write comparison.csv, comparison_by_stage_year.csv, comparison_costs.csv
    and report.pdf, plus one sub-folder per scenario with its CSVs and
    manifest, into a new folder in ``out_dir`` (atomically)."""

    def fill(tmp: Path) -> None:
        for name, frame in comp.frames().items():
            write_csv(frame, tmp / f"{name}.csv")
        for result, name in zip(comp.results, comp.names):
            sub = tmp / name
            sub.mkdir()
            write_frames(result, sub)
            write_manifest(result, sub, lang)
        write_comparison_report(comp, tmp / "report.pdf", lang)

    return atomic_folder(out_dir, run_name("compare", lang), fill)
