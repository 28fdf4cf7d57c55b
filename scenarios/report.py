"""The budget pack: report.pdf, Chinese by default, English on request.

Every page is one chart (or the summary), titled, with its units stated, and
drawn large enough for a projector.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402

from forecast.curriculum import SUBJECT_ZH  # noqa: E402
from forecast.enrolment import DISTRICT  # noqa: E402
from forecast.grades import STAGE_ZH  # noqa: E402
from scenarios.fonts import use_cjk  # noqa: E402

PAGE = (11.69, 8.27)  # A4 landscape, inches
LIMIT_ZH = {"cap": "编制总额", "post_shift_up": "编制调增速度", "post_shift_down": "编制调减速度",
            "mentoring": "导师带教能力", "graduate_supply": "毕业生供给", "region_rotation": "跨片区交流上限",
            "budget": "年度预算", "key_share": "骨干教师占比下限"}
STAGE_EN = {"preschool": "Kindergarten", "primary": "Primary", "junior": "Junior secondary",
            "senior": "Senior secondary"}
COLORS = {"preschool": "#8c6bb1", "primary": "#2b8cbe", "junior": "#e6550d", "senior": "#31a354"}

TEXT = {
    "zh": dict(
        title="教师编制需求与配置方案", scenario="情景", summary="摘要（未来三年 {y0}–{y1}）",
        short_no="不采取措施的结构性缺编", short_plan="方案实施后剩余缺编", posts="需新增编制", cost="方案总成本",
        unit_fte="人·年", unit_posts="个", unit_yuan="亿元", peaks="各学段在校生峰值",
        peak_row="{stage}：{year}年达峰，{n:,.0f}人（较{base}年{chg:+.0%}）",
        violated="注意：本情景不可行，方案突破了以下硬约束：", feasible="所有硬约束均得到满足。",
        violation_row="{limit}：{n} 处，共超出 {amount:,.1f}",
        wave="学龄人口波峰：各年级在校生（人）", grade="年级", year="学年",
        fan="分学段在校生预测（人，含80%/95%区间）", observed="实际", central="预测中值",
        dvs="教师需求与现有教师（不采取措施，人）", demand="需求", supply="现有在岗（含临时）",
        gap="分学段分学科缺编（需求−在岗，人；正数为缺编）",
        plan="配置方案（按年）", posts_stage="各学段编制使用（个）", hires_cert="新招聘，按教师资格（人）",
        moves="跨学段流动（人）", cover="临时代课与剩余缺编（人）", temporary="临时代课", shortfall="缺编",
        lp_vs="优化方案与人工规则、逐年优化对比", lp="优化方案", rule="人工规则", myopic="逐年优化（无前瞻）", surplus="超编",
        cost_y="成本与惩罚（亿元）", short_y="缺编（人·年）", surplus_y="超编（人·年）",
        value="每增加一个编制（全规划期）的作用：减少缺编与临时代课（人·年/个）", value_short="减少缺编",
        value_temp="替代临时代课", value_all="各学段相同（片区编制总额约束）", assumptions="假设与来源", cert="资格",
        up="上移", down="下移"),
    "en": dict(
        title="Teacher posts: needs and plan", scenario="Scenario", summary="Summary (next three years {y0}–{y1})",
        short_no="Structural shortfall with no action", short_plan="Shortfall left after the plan",
        posts="Extra posts needed", cost="Plan cost", unit_fte="FTE-years", unit_posts="posts",
        unit_yuan="100m yuan", peaks="Enrolment peaks by stage",
        peak_row="{stage}: peaks in {year} at {n:,.0f} pupils ({chg:+.0%} on {base})",
        violated="Warning: this scenario is infeasible; the plan breaks these hard limits:",
        feasible="All hard limits are met.",
        violation_row="{limit}: broken in {n} places, by {amount:,.1f} in all",
        wave="The school-age wave: pupils by grade (persons)", grade="Grade", year="School year",
        fan="Enrolment by stage (persons; 80%/95% intervals)", observed="Observed", central="Projection",
        dvs="Teachers needed vs teachers still in post, no action (persons)", demand="Needed",
        supply="In post (incl. temporary)",
        gap="Gap by stage and subject (needed − in post, persons; positive = shortfall)",
        plan="The plan by year", posts_stage="Posts used by stage (posts)", hires_cert="Hires by certificate (persons)",
        moves="Moves between stages (persons)", cover="Temporary cover and remaining shortfall (persons)",
        temporary="Temporary cover", shortfall="Shortfall",
        lp_vs="Optimised plan vs the bureau's rule and the year-by-year LP", lp="Optimised", rule="Rule (by hand)",
        myopic="Year by year (no look-ahead)", surplus="Surplus",
        cost_y="Cost and penalties (100m yuan)", short_y="Shortfall (FTE-years)", surplus_y="Surplus (FTE-years)",
        value="One more permanent post: shortfall avoided and temporary cover replaced (FTE-years per post)",
        value_short="Shortfall avoided", value_temp="Temporary cover replaced",
        value_all="all stages alike (the area's cap binds)", assumptions="Assumptions and sources", cert="certificate",
        up="up", down="down"),
}


def _stage(stage: str, lang: str) -> str:
    return STAGE_ZH[stage] if lang == "zh" else STAGE_EN[stage]


def _subject(subject: str, lang: str) -> str:
    return SUBJECT_ZH.get(subject, subject) if lang == "zh" else subject


def _page(title: str):
    fig = plt.figure(figsize=PAGE)
    fig.suptitle(title, fontsize=20)
    return fig


def summary_page(pdf, r, T, lang):
    s = r.summary()
    fig = _page(T["title"])
    fig.text(0.05, 0.86, f"{T['scenario']}: {r.scenario.title}", fontsize=14)
    fig.text(0.05, 0.78, T["summary"].format(y0=s["years"][0], y1=s["years"][-1]), fontsize=16)
    boxes = [(T["short_no"], f"{s['shortfall_no_action']:,.0f}", T["unit_fte"]),
             (T["short_plan"], f"{s['shortfall_after_plan']:,.0f}", T["unit_fte"]),
             (T["posts"], f"{s['posts_needed']:,.0f}", T["unit_posts"]),
             (T["cost"], f"{s['cost'] / 1e8:,.1f}", T["unit_yuan"])]
    for i, (label, value, unit) in enumerate(boxes):
        x = 0.05 + i * 0.235
        fig.text(x, 0.66, label, fontsize=12)
        fig.text(x, 0.57, value, fontsize=30, color="#b30000" if i == 0 else "black")
        fig.text(x, 0.53, unit, fontsize=11, color="#555555")
    fig.text(0.05, 0.44, T["peaks"], fontsize=15)
    for i, row in enumerate(r.peaks.itertuples()):
        fig.text(0.07, 0.39 - i * 0.045, T["peak_row"].format(stage=_stage(row.stage, lang), year=row.peak_year,
                                                             n=row.peak_students, chg=row.change,
                                                             base=row.base_year), fontsize=13)
    v = r.plan.violations
    if len(v):
        fig.text(0.05, 0.17, T["violated"], fontsize=13, color="#b30000")
        top = v.groupby("limit").amount.agg(["count", "sum"])
        for i, (limit, row) in enumerate(top.head(4).iterrows()):
            fig.text(0.07, 0.13 - i * 0.035, T["violation_row"].format(limit=LIMIT_ZH.get(limit, limit) if lang == "zh" else limit,
                                                                       n=int(row["count"]),
                                                                       amount=row["sum"]), fontsize=11, color="#b30000")
    else:
        fig.text(0.05, 0.15, T["feasible"], fontsize=12, color="#2f6f2f")
    pdf.savefig(fig)
    plt.close(fig)


def wave_page(pdf, r, T, lang):
    fig = _page(T["wave"])
    ax = fig.add_axes([0.08, 0.1, 0.8, 0.75])
    w = r.enrolment.groupby(["grade", "year"]).students.sum().unstack("year")
    im = ax.imshow(w.to_numpy(), aspect="auto", cmap="YlOrRd", origin="lower")
    ax.set_yticks(range(len(w.index)), [str(g) for g in w.index], fontsize=11)
    ax.set_xticks(range(len(w.columns)), [str(y) for y in w.columns], rotation=45, fontsize=11)
    ax.set_xlabel(T["year"], fontsize=13)
    ax.set_ylabel(T["grade"], fontsize=13)
    first_proj = int(r.enrolment[r.enrolment.kind == "projected"].year.min())
    ax.axvline(list(w.columns).index(first_proj) - 0.5, color="black", lw=2, ls="--")
    fig.colorbar(im, ax=ax, fraction=0.04)
    pdf.savefig(fig)
    plt.close(fig)


def _stage_grid(fig, stages):
    axes = fig.subplots(2, 2, squeeze=False).ravel()
    fig.subplots_adjust(top=0.86, hspace=0.35, wspace=0.2, left=0.07, right=0.97, bottom=0.08)
    return dict(zip(stages, axes))


def fan_page(pdf, r, T, lang):
    fig = _page(T["fan"])
    e = r.enrolment_stage[r.enrolment_stage.region == DISTRICT]
    stages = [s for s in STAGE_EN if s in set(e.stage)]
    for stage, ax in _stage_grid(fig, stages).items():
        d = e[e.stage == stage]
        obs, proj = d[d.kind == "observed"], d[d.kind == "projected"]
        ax.plot(obs.year, obs.students, color="black", lw=2.5, label=T["observed"])
        ax.fill_between(proj.year, proj.lo95, proj.hi95, color=COLORS[stage], alpha=0.15)
        ax.fill_between(proj.year, proj.lo80, proj.hi80, color=COLORS[stage], alpha=0.3)
        ax.plot(proj.year, proj.students, color=COLORS[stage], lw=2.5, label=T["central"])
        ax.set_title(_stage(stage, lang), fontsize=14)
        ax.tick_params(labelsize=11)
        ax.legend(fontsize=10, loc="best")
    pdf.savefig(fig)
    plt.close(fig)


def demand_supply_page(pdf, r, T, lang):
    fig = _page(T["dvs"])
    g = r.gap.groupby(["stage", "year"])[["demand", "supply"]].sum().reset_index()
    for stage, ax in _stage_grid(fig, [s for s in STAGE_EN if s in set(g.stage)]).items():
        d = g[g.stage == stage]
        ax.plot(d.year, d.demand, color=COLORS[stage], lw=2.5, label=T["demand"])
        ax.plot(d.year, d.supply, color="gray", lw=2.5, ls="--", label=T["supply"])
        ax.fill_between(d.year, d.supply, d.demand, where=d.demand > d.supply, color="#b30000", alpha=0.2)
        ax.set_title(_stage(stage, lang), fontsize=14)
        ax.tick_params(labelsize=11)
        ax.legend(fontsize=10)
    pdf.savefig(fig)
    plt.close(fig)


def gap_page(pdf, r, T, lang):
    fig = _page(T["gap"])
    ax = fig.add_axes([0.2, 0.1, 0.72, 0.75])
    g = r.gap.groupby(["stage", "subject", "year"]).gap.sum().unstack("year")
    order = {s: i for i, s in enumerate(STAGE_EN)}
    g = g.loc[sorted(g.index, key=lambda k: (order[k[0]], k[1]))]
    lim = float(np.nanmax(np.abs(g.to_numpy()))) or 1.0
    im = ax.imshow(g.to_numpy(), aspect="auto", cmap="RdBu_r", vmin=-lim, vmax=lim)
    ax.set_yticks(range(len(g)), [f"{_stage(s, lang)}·{_subject(j, lang)}" for s, j in g.index], fontsize=9)
    ax.set_xticks(range(len(g.columns)), [str(y) for y in g.columns], rotation=45, fontsize=11)
    fig.colorbar(im, ax=ax, fraction=0.04)
    pdf.savefig(fig)
    plt.close(fig)


def plan_page(pdf, r, T, lang):
    fig = _page(T["plan"])
    axes = fig.subplots(2, 2).ravel()
    fig.subplots_adjust(top=0.86, hspace=0.4, wspace=0.2, left=0.07, right=0.97, bottom=0.08)
    posts = r.plan.posts.groupby(["year", "stage"]).filled.sum().unstack("stage")
    posts = posts[[s for s in STAGE_EN if s in posts.columns]]
    posts.plot.bar(stacked=True, ax=axes[0], color=[COLORS[s] for s in posts.columns], legend=False)
    axes[0].set_title(T["posts_stage"], fontsize=13)
    hires = r.plan.hires.groupby(["year", "certificate"]).teachers.sum().unstack("certificate")
    if len(hires):
        hires.plot.bar(stacked=True, ax=axes[1], color=[COLORS[c] for c in hires.columns], legend=False)
    axes[1].set_title(T["hires_cert"], fontsize=13)
    mv = r.plan.moves[r.plan.moves.stage_from != r.plan.moves.stage_to]
    if len(mv):
        lab = mv.stage_from.map(lambda s: _stage(s, lang)) + "→" + mv.stage_to.map(lambda s: _stage(s, lang))
        mv.assign(pair=lab).groupby(["year", "pair"]).teachers.sum().unstack("pair").plot.bar(
            stacked=True, ax=axes[2], colormap="tab10")
        axes[2].legend(fontsize=8)
    axes[2].set_title(T["moves"], fontsize=13)
    c = r.plan.staff.groupby("year")[["temporary", "shortfall"]].sum()
    c.columns = [T["temporary"], T["shortfall"]]
    c.plot.bar(ax=axes[3], color=["#fdae6b", "#b30000"])
    axes[3].set_title(T["cover"], fontsize=13)
    handles = [plt.Rectangle((0, 0), 1, 1, color=COLORS[s]) for s in STAGE_EN]
    fig.legend(handles, [_stage(s, lang) for s in STAGE_EN], loc="upper right", fontsize=10, ncol=4)
    for ax in axes:
        ax.set_xlabel("")
        ax.tick_params(labelsize=10)
    pdf.savefig(fig)
    plt.close(fig)


def comparison_page(pdf, r, T, lang):
    fig = _page(T["lp_vs"])
    axes = fig.subplots(1, 3)
    fig.subplots_adjust(top=0.82, wspace=0.3, left=0.06, right=0.98, bottom=0.12)
    c = r.plan.comparison()
    for ax, col, title, scale in ((axes[0], "shortfall", T["short_y"], 1), (axes[1], "surplus", T["surplus_y"], 1),
                                  (axes[2], "objective", T["cost_y"], 1e8)):
        for plan, style in (("lp", "-"), ("myopic", ":"), ("rule", "--")):
            d = c[c.plan == plan]
            if d.empty:
                continue
            ax.plot(d.year, d[col] / scale, ls=style, lw=2.5, marker="o", label=T[plan])
        ax.set_title(title, fontsize=13)
        ax.legend(fontsize=11)
        ax.tick_params(labelsize=10)
    pdf.savefig(fig)
    plt.close(fig)


def value_page(pdf, r, T, lang):
    """A permanent post per area (post_value.csv): FTE-years of shortfall
    avoided and of temporary cover replaced; one bar per area where every
    stage gets the same (scope 'area'), else one per stage."""
    fig = _page(T["value"])
    axes = fig.subplots(1, 2)
    fig.subplots_adjust(top=0.82, wspace=0.3, left=0.08, right=0.98, bottom=0.25)
    v = r.plan.post_value
    if len(v):
        one = v[v.scope == "area"].groupby("region").first().reset_index().assign(
            stage=T["value_all"])
        rest = v[v.scope != "area"].assign(stage=lambda d: d.stage.map(lambda s: _stage(s, lang)))
        show = pd.concat([one, rest], ignore_index=True)
        labels = show.region + " · " + show.stage
        for ax, col, title in ((axes[0], "post_value_fte", T["value_short"]),
                               (axes[1], "post_value_temporary", T["value_temp"])):
            ax.barh(labels, show[col], color="#2b8cbe")
            ax.set_title(title, fontsize=13)
            ax.tick_params(labelsize=9)
    pdf.savefig(fig)
    plt.close(fig)


def assumptions_page(pdf, r, T, lang):
    fig = _page(T["assumptions"])
    s = r.scenario.settings
    lines = [f"{k}: {v}" for sec in ("data", "forecast", "demand", "supply", "plan") for k, v in
             ((f"{sec}.{kk}", vv) for kk, vv in s.get(sec, {}).items())]
    lines += ["", "solver: " + f"{r.plan.info.solver} ({r.plan.info.status}), "
              f"build {r.plan.build_seconds:.2f} s, solve {r.plan.info.seconds:.2f} s"]
    lines += [f"{t}: {h['path']} sha256 {h['sha256'][:16]}…" for t, h in r.input_hashes.items()]
    src = ("数据来源：北京市出生人口与分学段在校生（国家统计局分省年度数据）；编制标准：中央编办发〔2014〕72号；"
           "课程方案：义务教育课程方案（2022年版）；退休年龄：全国人大常委会2024年9月13日决定。"
           if lang == "zh" else
           "Sources: Beijing births and stage totals (NBS provincial data); staffing standard 2014 (中央编办发〔2014〕72号); "
           "compulsory curriculum plan 2022; retirement: NPC Standing Committee decision of 13 Sep 2024.")
    fig.text(0.04, 0.86, src, fontsize=10, wrap=True)
    for i, line in enumerate(lines[:44]):
        fig.text(0.04 + 0.48 * (i // 22), 0.8 - (i % 22) * 0.034, line[:90], fontsize=9)
    pdf.savefig(fig)
    plt.close(fig)


PAGES = (summary_page, wave_page, fan_page, demand_supply_page, gap_page, plan_page, comparison_page,
         value_page, assumptions_page)


def write_report(result, path: str | Path, lang: str = "zh") -> None:
    """Write the budget pack for a run to ``path`` (one page per chart)."""
    if lang not in TEXT:
        raise ValueError(f"language '{lang}' is not 'zh' or 'en'")
    use_cjk()
    T = TEXT[lang]
    with PdfPages(path, metadata={"Title": T["title"], "Creator": "staffcast"}) as pdf:
        for page in PAGES:
            page(pdf, result, T, lang)
