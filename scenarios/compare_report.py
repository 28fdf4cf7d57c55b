"""The comparison pack of ``staffcast compare``: its folder (CSVs, a
sub-folder per scenario) and report.pdf, Chinese by default, English on
request.

Pages: the numbers, the changes against the first scenario, what each
scenario changes in its settings, shortfall by year (one small panel per
scenario, one scale), shortfall by stage, hires, posts and cover (ranked
bars), cost, end surplus and moves. Many scenarios are drawn side by side,
never as a tangle of lines.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.pyplot as plt  # artists only (Rectangle, Line2D): pages are not pyplot figures
import numpy as np
from matplotlib.backends.backend_pdf import PdfPages

from forecast.grades import STAGES
from forecast.settings import describe
from optimize.model import no_cyclic_gc
from scenarios.compare import Comparison, title
from scenarios.folders import atomic_folder, run_name
from scenarios.fonts import use_cjk
from scenarios.labels import SETTING_ZH
from scenarios.output import write_csv, write_frames, write_manifest
from scenarios.report import (COLORS, NO_ACTION_COLOR, ROTATION_COLOR, SHORT_COLOR, TEMPORARY_COLOR, _page,
                              _save, _stage, _value_text)

TEXT = {
    "zh": dict(
        title="情景比较", table="情景一览（规划期 {y0}–{y1}）", diff="与“{ref}”相比的变化（正数为增加）",
        cols=["未来三年缺编\n不采取措施\n（人·年）", "未来三年缺编\n方案实施后\n（人·年）", "规划期缺编\n（人·年）",
              "临时代课\n（人·年）", "编制使用峰值\n（个）", "新招聘\n（人）", "跨学段/片区\n流动（人）",
              "现金成本\n（亿元）", "期末超编\n（人）", "突破硬约束\n（处）"],
        scenario="情景", changes="各情景改变了什么（与“{ref}”的设置相比）", same="与参照情景相同",
        reference="参照情景", short_year="方案实施后剩余缺编，按年（人；柱）与不采取措施的缺编（灰线）",
        with_plan="方案实施后", no_action="不采取措施",
        short_stage="规划期剩余缺编，按学段（人·年）", ranked="新招聘、编制使用与临时代课（规划期合计，按大小排序）",
        hires="新招聘（人）", post_years="编制使用（个·年）", temporary="临时代课（人·年）",
        cost="规划期现金成本（亿元）", surplus="期末超编（人）", moves="流动（人）",
        stage_moves="跨学段", region_moves="跨片区", year="学年",
        robust="稳健方案与按点预测的方案", robust_sub="两个方案都在各自情景 {e} 条新的预测路径上检验",
        robust_plan={"central": "按点预测的方案", "stochastic": "稳健方案（{k} 条路径）"},
        robust_cols=["方案", "本次决策\n新招聘\n（人）", "本次决策\n编制使用\n（个·年）", "本次决策\n期望缺编\n（人·年）",
                     "本次决策\n缺编90%\n分位（人·年）", "规划期\n期望缺编\n（人·年）", "缺编超过\n警戒线的\n最高概率",
                     "期望现金\n成本\n（亿元）", "期望目标值\n（亿元当量）", "VSS\n（亿元当量）", "EVPI\n（亿元当量）"],
        robust_chart="全区缺编的90%分位，按年（人）", robust_note="“本次决策”为规划前 {k} 年；警戒线为某学段某年缺编 {t} 人。"
                     "目标值含缺编与超编的惩罚权重，不是现金；±为路径间的标准误。"),
    "en": dict(
        title="Scenario comparison", table="Scenarios at a glance (plan years {y0}–{y1})",
        diff="Change against “{ref}” (positive = more)",
        cols=["Shortfall\nnext 3 yrs\nno action\n(FTE-yrs)", "Shortfall\nnext 3 yrs\nwith plan\n(FTE-yrs)",
              "Shortfall all\nplan years\n(FTE-yrs)", "Temporary\ncover\n(FTE-yrs)", "Peak posts\nused\n(posts)",
              "Hires\n(persons)", "Moves\n(persons)", "Cash cost\n(100m yuan)", "End surplus\n(FTE)",
              "Limits\nbroken"],
        scenario="Scenario", changes="What each scenario changes (settings against “{ref}”)",
        same="the same as the reference", reference="Reference",
        short_year="Shortfall left with the plan, by year (FTE; bars) and with no action (grey line)",
        with_plan="With the plan", no_action="No action",
        short_stage="Shortfall left over the plan years by stage (FTE-years)",
        ranked="Hires, posts used and temporary cover (plan years summed, ranked)",
        hires="Hires (persons)", post_years="Posts used (post-years)", temporary="Temporary cover (FTE-years)",
        cost="Cash cost over the plan (100m yuan)",
        surplus="Surplus in the last plan year (FTE)", moves="Moves (persons)",
        stage_moves="between stages", region_moves="between areas", year="School year",
        robust="Robust and point-forecast plans side by side",
        robust_sub="both plans judged on the scenario's {e} fresh forecast paths",
        robust_plan={"central": "plan for the point forecast", "stochastic": "robust plan ({k} paths)"},
        robust_cols=["Plan", "Hires\ndecided now\n(persons)", "Post-years\ndecided now", "Shortfall\ndecided now\n"
                     "(expected,\nFTE-yrs)", "Shortfall\ndecided now\n(90th pct,\nFTE-yrs)",
                     "Shortfall\nall years\n(expected,\nFTE-yrs)", "Worst chance\nabove the\nthreshold",
                     "Cash\n(expected,\n100m yuan)", "Objective\n(expected,\n100m yuan-eq)",
                     "VSS\n(100m\nyuan-eq)", "EVPI\n(100m\nyuan-eq)"],
        robust_chart="District shortfall, 90th percentile by year (FTE)",
        robust_note="\"Decided now\": the first {k} plan years; threshold: {t} FTE short in a stage and year. The "
                    "objective adds the penalty weights on shortfall and surplus; it is not cash. ±: standard error "
                    "over paths."),
}

TABLE_COLUMNS = ["shortfall_no_action_3y", "shortfall_3y", "shortfall_all_years", "temporary", "posts_peak",
                 "hires", "moves", "cost", "end_surplus", "violations"]


def _table_values(summary):
    t = summary.assign(moves=summary.stage_moves + summary.region_moves, cost=summary.cost / 1e8)
    return t[TABLE_COLUMNS]


def _fmt(col: str, v: float, signed: bool = False) -> str:
    """A table number: one decimal for cost, none otherwise; what rounds to
    zero is '0', never '-0' or '+0'."""
    digits = 1 if col == "cost" else 0
    if abs(v) < 0.5 * 10 ** -digits:
        return "0"
    return format(v, ("+" if signed else "") + f",.{digits}f")


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
        cell.set_edgecolor("#bbbbbb")
        if r == 0:
            cell.set_height(cell.get_height() * 2.6)
            cell.set_text_props(fontsize=9.5)
            cell.set_facecolor("#eeeeee")
        elif c == 0:
            cell.set_text_props(ha="left")
        elif signed and c <= 4:  # shortfall and temporary cover: red where worse
            v = values.iloc[r - 1, c - 1]
            cell.set_text_props(color="#b30000" if v > 0.5 else "#2f6f2f" if v < -0.5 else "black")
    _save(pdf, fig)


def setting_changes(comp: Comparison, lang: str) -> list[list[tuple[str, str, str]]]:
    """For each scenario, the settings that differ from the first scenario's:
    (description with unit, the reference's value, this scenario's value),
    from every setting that ran (``Scenario.resolved()``)."""
    from scenarios.inputs import TABLES
    from scenarios.schema import SECTIONS

    ref = comp.results[0].scenario.resolved()
    docs = {key: doc for name, cls in SECTIONS.items() for key, _k, _d, doc in describe(cls, name)}
    out = []
    for r in comp.results:
        mine = r.scenario.resolved()
        rows = []
        for section in SECTIONS:
            for key, value in mine[section].items():
                before = ref[section].get(key)
                if value != before:
                    doc = docs.get(f"{section}.{key}", f"{section}.{key}")
                    if lang == "zh":
                        doc = SETTING_ZH.get(f"{section}.{key}", doc)
                    if section == "data" and lang != "zh":
                        doc = TABLES[key].doc if key in TABLES else doc.split(";")[0]
                        value, before = (Path(v).name if v not in (None, "default") else v for v in (value, before))
                    rows.append((doc, _value_text(before, lang), _value_text(value, lang)))
        out.append(rows)
    return out


def _changes_page(pdf, comp, T, labels, lang):
    changes = setting_changes(comp, lang)
    line_h, fs = 0.021, 8.3
    wrap = (22, 22) if lang == "zh" else (50, 34)  # CJK characters are twice as wide
    rows = []  # (kind, text...) laid out in two columns
    for i, (label, ch) in enumerate(zip(labels, changes)):
        desc = comp.results[i].scenario.settings.get("description", "")
        rows.append(("head", f"{label}" + (f"（{T['reference']}）" if i == 0 and lang == "zh" else
                                          f" ({T['reference']})" if i == 0 else ""), ""))
        if i and desc:
            rows.append(("desc", desc, ""))
        if i and not ch:
            rows.append(("item", T["same"], ""))
        for doc, before, after in ch:
            rows.append(("item", doc, f"{before} → {after}"))
    k = 0
    while k < len(rows):
        fig = _page(T["changes"].format(ref=labels[0]))
        for x in (0.03, 0.52):
            y = 0.89
            while k < len(rows):
                kind, a, b = rows[k]
                if kind == "head":
                    if y < 0.12:
                        break
                    y -= 0.008
                    fig.text(x, y, a, fontsize=10, va="top", color="#08306b")
                    y -= line_h * 1.3
                elif kind == "desc":
                    lines = textwrap.wrap(a, sum(wrap))
                    if y - len(lines) * line_h < 0.03:
                        break
                    for j, line in enumerate(lines):
                        fig.text(x + 0.01, y - j * line_h, line, fontsize=fs, va="top", color="#555555")
                    y -= len(lines) * line_h + 0.003
                else:
                    da, db = textwrap.wrap(a, wrap[0]) or [""], textwrap.wrap(b, wrap[1]) or [""]
                    n = max(len(da), len(db))
                    if y - n * line_h < 0.03:
                        break
                    for j, line in enumerate(da):
                        fig.text(x + 0.01, y - j * line_h, line, fontsize=fs, va="top")
                    for j, line in enumerate(db):
                        fig.text(x + 0.28, y - j * line_h, line, fontsize=fs, va="top")
                    y -= n * line_h + 0.003
                k += 1
        _save(pdf, fig)


def _grid(n: int) -> tuple[int, int]:
    ncol = min(4, max(1, int(np.ceil(np.sqrt(n)))))
    return int(np.ceil(n / ncol)), ncol


def _small_multiples_page(pdf, comp, T, labels):
    """One panel per scenario: shortfall left by year (bars) and with no
    action (line), the same y scale everywhere, from 0."""
    fig = _page(T["short_year"])
    sy = comp.stage_year
    by = sy.groupby(["scenario", "year"])[["shortfall", "shortfall_no_action"]].sum()
    top = float(by.to_numpy().max()) * 1.08 or 1.0
    nrow, ncol = _grid(len(comp.names))
    left, right, bottom, top_y = 0.05, 0.98, 0.05, 0.88
    w, h = (right - left) / ncol, (top_y - bottom) / nrow
    for i, (name, label) in enumerate(zip(comp.names, labels)):
        row, col = divmod(i, ncol)
        ax = fig.add_axes([left + col * w + 0.02, top_y - (row + 1) * h + 0.035, w - 0.03, h - 0.075])
        d = by.loc[name]
        x = np.arange(len(d))
        ax.bar(x, d.shortfall.to_numpy(), color=SHORT_COLOR, width=0.75)
        ax.plot(x, d.shortfall_no_action.to_numpy(), color=NO_ACTION_COLOR, lw=1.6)
        ax.set_ylim(0, top)
        ax.set_title(textwrap.shorten(label, 30, placeholder="…"), fontsize=9)
        ax.set_xticks(x[::3], [str(y) for y in d.index[::3]], fontsize=7)
        ax.tick_params(axis="y", labelsize=7)
    handles = [plt.Rectangle((0, 0), 1, 1, color=SHORT_COLOR), plt.Line2D([], [], color=NO_ACTION_COLOR, lw=1.6)]
    fig.legend(handles, [T["with_plan"], T["no_action"]], loc="upper center", bbox_to_anchor=(0.5, 0.93), ncol=2,
               fontsize=10, frameon=False)
    _save(pdf, fig)


def _stage_page(pdf, comp, T, labels, lang):
    fig = _page(T["short_stage"])
    ax = fig.add_axes([0.26, 0.07, 0.6, 0.8])
    by = comp.stage_year.groupby(["scenario", "stage"]).shortfall.sum().unstack("stage").reindex(comp.names)
    left = np.zeros(len(by))
    stages = [s for s in STAGES if s in by.columns]
    for stage in stages:
        v = by[stage].fillna(0.0).to_numpy()
        ax.barh(range(len(by)), v, left=left, color=COLORS[stage], label=_stage(stage, lang))
        left = left + v
    for i, t in enumerate(left):
        ax.text(t, i, f" {t:,.0f}", va="center", fontsize=9)
    ax.set_xlim(0, float(left.max()) * 1.12 or 1.0)
    ax.set_yticks(range(len(by)), labels, fontsize=10)
    ax.invert_yaxis()
    ax.legend(fontsize=10, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.tick_params(axis="x", labelsize=10)
    _save(pdf, fig)


def _ranked_page(pdf, comp, T, labels):
    """Hires, post-years and temporary cover, each panel ranked by its own value."""
    fig = _page(T["ranked"])
    s = comp.summary.assign(label=labels)
    panels = [("hires", T["hires"], "#2171b5"), ("post_years", T["post_years"], "#6a51a3"),
              ("temporary", T["temporary"], TEMPORARY_COLOR)]
    for i, (col, heading, color) in enumerate(panels):
        ax = fig.add_axes([0.125 + i * 0.33, 0.07, 0.19, 0.8])
        d = s.sort_values(col, ascending=False)
        y = np.arange(len(d))
        ax.barh(y, d[col], color=color, edgecolor="#555555", lw=0.4)
        for yy, v in zip(y, d[col]):
            ax.text(v, yy, f" {v:,.0f}", va="center", fontsize=7.5)
        ax.set_xlim(0, float(d[col].max()) * 1.3 or 1.0)
        ax.set_yticks(y, [textwrap.shorten(t, 22, placeholder="…") for t in d.label], fontsize=8)
        ax.invert_yaxis()
        ax.set_title(heading, fontsize=11)
        ax.tick_params(axis="x", labelsize=8)
    _save(pdf, fig)


def _totals_page(pdf, comp, T, labels):
    fig = _page(T["title"])
    axes = [fig.add_axes([0.22 + i * 0.21, 0.08, 0.17, 0.76]) for i in range(3)]
    s = comp.summary
    y = np.arange(len(s))
    # dots, not bars: the cost axis does not start at zero, so that differences show
    axes[0].plot(s.cost / 1e8, y, "o", ms=9, color="#2171b5")
    axes[0].grid(axis="x", alpha=0.4)
    axes[0].set_title(T["cost"], fontsize=11)
    axes[1].barh(y, s.end_surplus, color="#fdae6b")
    axes[1].set_xlim(0, max(1.0, float(s.end_surplus.max()) * 1.15))
    axes[1].set_title(T["surplus"], fontsize=11)
    axes[2].barh(y, s.stage_moves, color="#525252", label=T["stage_moves"])
    axes[2].barh(y, s.region_moves, left=s.stage_moves, color=ROTATION_COLOR, label=T["region_moves"])
    axes[2].set_xlim(0, float((s.stage_moves + s.region_moves).max()) * 1.1 or 1.0)
    axes[2].set_title(T["moves"], fontsize=11)
    axes[2].legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    axes[0].set_yticks(y, labels, fontsize=10)
    for ax in axes:
        ax.set_ylim(len(s) - 0.5, -0.5)
        ax.tick_params(axis="x", labelsize=9)
    for ax in axes[1:]:
        ax.set_yticks(y, [""] * len(s))
    _save(pdf, fig)


def _pm(v: float, se: float, scale: float = 1e8, digits: int = 2) -> str:
    """'value ±se' in units of ``scale``; blank for a figure not estimated."""
    if not np.isfinite(v):
        return ""
    return f"{v / scale:,.{digits}f}" + (f" ±{se / scale:,.{digits}f}" if np.isfinite(se) else "")


def _robust_page(pdf, comp, T, labels, lang):
    """Each stochastic scenario's two plans, both judged on its fresh
    paths: a table of what they decide now and what they leave short, and
    the district shortfall's 90th percentile by year under each."""
    plans = comp.plans
    if not len(plans):
        return
    fig = _page(T["robust"])
    fig.text(0.5, 0.9, T["robust_sub"].format(e=f"{int(plans.eval_paths.max()):,}"), fontsize=12, ha="center")
    rows, cells = [], []
    label_of = dict(zip(comp.names, labels))
    for row in plans.itertuples(index=False):
        rows.append(f"{textwrap.shorten(label_of[row.scenario], 26, placeholder='…')}: "
                    f"{T['robust_plan'][row.plan].format(k=int(row.paths))}")
        cells.append([f"{row.hires_committed:,.0f}", f"{row.post_years_committed:,.0f}",
                      f"{row.shortfall_committed:,.0f}", f"{row.shortfall_committed_q90:,.0f}",
                      f"{row.shortfall:,.0f}", f"{row.p_exceed_worst:.0%}", _pm(row.cash, row.cash_se),
                      _pm(row.cost, row.cost_se), _pm(row.vss_yuan, row.vss_se_yuan),
                      _pm(row.evpi_yuan, row.evpi_se_yuan)])
    ax = fig.add_axes([0.02, 0.50, 0.96, 0.36])
    ax.axis("off")
    widths = [0.22] + [0.078] * 10
    tab = ax.table(cellText=[[r] + c for r, c in zip(rows, cells)], colLabels=T["robust_cols"], colWidths=widths,
                   loc="upper center", cellLoc="right")
    tab.auto_set_font_size(False)
    tab.set_fontsize(9)
    tab.scale(1, 1.8)
    for (r, c), cell in tab.get_celld().items():
        cell.set_edgecolor("#bbbbbb")
        if r == 0:
            cell.set_height(cell.get_height() * 3.0)
            cell.set_text_props(fontsize=8)
            cell.set_facecolor("#eeeeee")
        elif c == 0:
            cell.set_text_props(ha="left")
    ax = fig.add_axes([0.08, 0.12, 0.62, 0.27])
    styles = {"central": dict(color=NO_ACTION_COLOR, ls="--", marker="s"), "stochastic": dict(color="#08519c",
                                                                                             ls="-", marker="o")}
    top = 0.0
    for r, name in zip(comp.results, comp.names):
        if r.stochastic is None:
            continue
        ev = r.stochastic.evaluation
        for plan, pc in (("central", ev.central), ("stochastic", ev.stochastic)):
            q90 = np.quantile(pc.shortfall.sum(axis=0), 0.9, axis=1)
            ax.plot(pc.years, q90, lw=2, ms=4, label=f"{textwrap.shorten(label_of[name], 26, placeholder='…')}: "
                    f"{T['robust_plan'][plan].format(k=r.stochastic.plan.paths)}", **styles[plan])
            top = max(top, float(q90.max()))
    ax.set_ylim(0, top * 1.12 or 1.0)
    ax.set_title(T["robust_chart"], fontsize=11)
    ax.tick_params(labelsize=9)
    ax.legend(fontsize=8.5, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    k, t = int(plans.commit_years.iloc[0]), float(plans.threshold.iloc[0])
    fig.text(0.04, 0.04, textwrap.fill(T["robust_note"].format(k=k, t=f"{t:,.0f}"), 90 if lang == "zh" else 170),
             fontsize=9, color="#333333")
    _save(pdf, fig)


def write_comparison_report(comp: Comparison, path: str | Path, lang: str = "zh") -> None:
    """The numbers, the changes against the first scenario, what each
    scenario changes, shortfall by year (small multiples) and by stage,
    hires, posts and cover (ranked), and cost, end surplus and moves. The
    cyclic garbage collector is held meanwhile, as for a run's report
    (``scenarios.report.write_report``): the same bytes, sooner."""
    if lang not in TEXT:
        raise ValueError(f"language '{lang}' is not 'zh' or 'en'")
    use_cjk()
    T = TEXT[lang]
    labels = [title(r, lang) for r in comp.results]
    years = comp.stage_year.year
    values = _table_values(comp.summary)
    with no_cyclic_gc(), PdfPages(path, metadata={"Title": T["title"], "Creator": "staffcast"}) as pdf:
        _table_page(pdf, labels, values, T["table"].format(y0=years.min(), y1=years.max()), T)
        _table_page(pdf, labels, values - values.iloc[0], T["diff"].format(ref=labels[0]), T, signed=True)
        _robust_page(pdf, comp, T, labels, lang)
        _changes_page(pdf, comp, T, labels, lang)
        _small_multiples_page(pdf, comp, T, labels)
        _stage_page(pdf, comp, T, labels, lang)
        _ranked_page(pdf, comp, T, labels)
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
