"""The budget pack: report.pdf, Chinese by default, English on request.

Page 1 answers the budget questions for the next three years (what the plan
asks for, year by year; the shortfall it leaves by stage and subject, with
and without it; its cash cost; where each stage's wave is). Then one chart
per page, titled, with its units: the wave, the fan charts, demand against
supply, the gap by stage and subject, the plan by year, shortfall and plan by
area, the plan against its baselines, the value of a post, and every
assumption that ran.

Pages are drawn on figures outside pyplot (no backend is set or needed).
Drawing rules: one colour per stage on every page (``COLORS``) and other
palettes for anything else (moves, cover); axes of counts start at 0 and end
above the largest bar; legends sit outside the plotting area.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from forecast.settings import describe, settings_of
from optimize.model import no_cyclic_gc
from optimize.plan import plan_costs
from optimize.problem import certificates_for
from scenarios.fonts import use_cjk
from scenarios.labels import SETTING_ZH, STAGE_EN, certificate_label, stage_label, subject_label

PAGE = (11.69, 8.27)  # A4 landscape, inches
LIMIT_ZH = {"cap": "编制总额", "post_shift_up": "编制调增速度", "post_shift_down": "编制调减速度",
            "mentoring": "导师带教能力", "graduate_supply": "毕业生供给", "region_rotation": "跨片区交流上限",
            "budget": "年度预算", "key_share": "骨干教师占比下限"}
#: one colour per stage, on every page
COLORS = {"preschool": "#8c6bb1", "primary": "#2b8cbe", "junior": "#e6550d", "senior": "#31a354"}
#: moves between stages and areas: a palette no stage uses
MOVE_COLORS = ["#525252", "#969696", "#cccccc", "#8c510a", "#d8b365", "#01665e", "#80cdc1"]
ROTATION_COLOR = "#c51b7d"
TEMPORARY_COLOR = "#fee08b"
SHORT_COLOR = "#b30000"
NO_ACTION_COLOR = "#7f7f7f"
#: the plans ``Plan.comparison()`` may hold, in the words of the report
PLAN_NAMES = {"lp": ("优化方案（多年线性规划）", "Optimised plan (multi-year LP)"),
              "myopic": ("逐年优化方案（无前瞻）", "Year-by-year LP (no foresight)"),
              "rule": ("经验规则方案", "Rule of thumb")}
PLAN_STYLES = [dict(color="#08519c", ls="-", marker="o"), dict(color="#a50f15", ls="--", marker="s"),
               dict(color="#54278f", ls=":", marker="^"), dict(color="#636363", ls="-.", marker="D")]

TEXT = {
    "zh": dict(
        title="教师编制需求与配置方案", scenario="情景", summary="未来三年（{y0}–{y1}）",
        short_no="不采取措施的结构性缺编", short_plan="方案实施后剩余缺编", posts="尚需增加编制（本情景之外）", cost="方案现金成本",
        unit_fte="人·年", unit_posts="个", unit_yuan="亿元",
        post_line="每增加一个长期编制（{y0}年起）：全规划期减少缺编 {short} 人·年，替代临时代课 {temp} 人·年，"
                  "多支出现金 {cash} 万元（按片区）。",
        violated="注意：本情景不可行，方案突破了以下硬约束：", feasible="所有硬约束均得到满足。",
        violation_row="{limit}：{n} 处，共超出 {amount:,.1f}",
        actions="方案要求（人；编制为个）", item="项目",
        posts_row="编制：{stage}", cap_row="编制合计 / 总额", hires_row="招聘：{stage}", hires_cert="（{certs}资格）",
        stage_moves_row="学段间调动：{a}→{b}", rotation_row="片区间交流", temporary_row="临时代课",
        short_table="剩余缺编，按学段和学科（{y0}–{y1}，人·年）", with_plan="方案实施后", no_action="不采取措施",
        cash="现金成本 {y0}–{y1}：{total} 亿元（工资 {salary}，招聘 {hiring}，代课 {temporary}，调动与交流 {moves}）；"
             "缺编与超编的惩罚权重不计入现金。",
        waves="各学段在校生走势（全区）",
        wave_rise="{stage}：上升中，{peak}年达峰 {n:,.0f} 人（较{base}年{chg}），{last}年回落至 {end:,.0f} 人",
        wave_rise_end="{stage}：持续上升，{last}年 {end:,.0f} 人（较{base}年{chg}）",
        wave_fall="{stage}：自{peak}年（{n:,.0f} 人）起下降，{last}年 {end:,.0f} 人（较{base}年{chg}）",
        wave_now="{stage}：{base}年为峰值（{n:,.0f} 人），此后下降，{last}年 {end:,.0f} 人（{chg}）",
        wave="学龄人口波峰：各年级在校生（人）", grade="年级", year="学年", pupils="在校生（人）",
        fan="分学段在校生预测（人，含80%/95%区间）", observed="实际", central="点预测", band80="80%区间",
        band95="95%区间",
        dvs="教师需求与现有教师（不采取措施，人）", demand="需求", supply="现有在岗（含临时）", gap_fill="缺编",
        gap="分学段分学科缺口（需求−在岗，人；正数为缺编）", gap_unit="人（正为缺编）",
        plan="配置方案（按年）", posts_stage="各学段编制使用（个）", hires_stage="新招聘，按学段（人）",
        moves="学段间调动与片区间交流（人）", cover="临时代课与剩余缺编（人）", temporary="临时代课", shortfall="剩余缺编",
        rotation="片区间交流", upper="其中具备更高学段资格：{n:,.0f} 人",
        area_short="各片区剩余缺编，按学段（方案实施后，人；灰线：不采取措施）",
        area_plan="各片区方案（{y0}–{y1} 合计；编制为{y1}年）",
        areas_shown="（缺编最多的 {n} 个片区，共 {total} 个）",
        area_cols=["片区", "学段", "编制\n{y1}（个）", "较{base}\n（个）", "招聘\n（人）", "学段间\n调入（人）",
                   "学段间\n调出（人）", "片区间\n调入（人）", "片区间\n调出（人）", "临时代课\n（人·年）",
                   "剩余缺编\n（人·年）"],
        lp_vs="优化方案与基准方案对比", short_y="缺编（人）", surplus_y="超编（人）", cost_y="现金成本（亿元）",
        comp_cols=["方案", "缺编\n（人·年）", "超编\n（人·年）", "新招聘\n（人）", "现金成本\n（亿元）",
                   "目标值\n（亿元当量，含\n缺编/超编惩罚）"],
        comp_note="现金成本为工资、招聘、代课与调动的支出；目标值另含缺编与超编的惩罚权重，不是现金。",
        value="每增加一个长期编制的作用：减少缺编与替代临时代课（人·年/个，全规划期）", value_short="减少缺编（人·年/个）",
        value_temp="替代临时代课（人·年/个）", value_all="各学段相同", value_areas="（作用最大的 {n} 个片区，共 {total} 个）",
        assumptions="假设与来源（本次运行采用的全部设置，含默认值）",
        assumptions_more="假设与来源（续）", setting="设置", value_col="取值",
        sections={"data": "数据", "grades": "学制", "forecast": "在校生预测", "demand": "教师需求",
                  "supply": "教师供给", "plan": "配置方案", "city": "全市统筹"},
        sure="把握有多大：预测不准时还缺多少",
        sure_sentence="按方案的 {posts} 个{stage}编制，{year}年{stage}缺编有九成把握不超过 {x} 人"
                      "（只按点预测做的方案：{y} 人）。",
        sure_panel="缺编分布（人；线为中位数，带为10%–90%）", sure_stochastic="稳健方案（{k} 条预测路径）",
        sure_central="按点预测的方案", sure_threshold="警戒线 {t} 人", sure_committed="本次决策年份",
        sure_vss="在 {e} 条新的预测路径上检验：稳健方案的期望缺编 {a} 人·年，按点预测的方案 {b} 人·年；"
                 "目标值低 {vss} 亿元当量（±{se}，含缺编惩罚），现金多 {cash} 亿元。",
        sure_evpi="完全预知未来还能再省 {evpi} 亿元当量（±{se}，{n} 条路径估计）。",
        sure_exceed="决策年份中缺编超过 {t} 人的概率（最高的一年，稳健方案 / 按点预测的方案）：{parts}。",
        sure_no_evpi="未估计完全信息的价值（plan.evpi_paths = 0）。",
        not_set="未设置", yes="是", no="否", none="无", inputs="输入文件（SHA-256 前 12 位）",
        sources="数据来源：北京市出生人口与分学段在校生（国家统计局分省年度数据）；编制标准：中央编办发〔2014〕72号；"
                "课程方案：义务教育课程方案（2022年版）；退休年龄：全国人大常委会2024年9月13日决定。"),
    "en": dict(
        title="Teacher posts: needs and plan", scenario="Scenario", summary="Next three years ({y0}–{y1})",
        short_no="Structural shortfall with no action", short_plan="Shortfall left after the plan",
        posts="Posts still needed (beyond this scenario)", cost="Cash cost of the plan", unit_fte="FTE-years", unit_posts="posts",
        post_line="One more permanent post from {y0}, over the plan: {short} FTE-years less shortfall, {temp} less "
                  "temporary cover, {cash} thousand yuan more cash (by area).",
        unit_yuan="100m yuan",
        violated="Warning: this scenario is infeasible; the plan breaks these hard limits:",
        feasible="All hard limits are met.",
        violation_row="{limit}: broken in {n} places, by {amount:,.1f} in all",
        actions="What the plan asks for (persons; posts)", item="Item",
        posts_row="Posts: {stage}", cap_row="Posts in all / cap", hires_row="Hires: {stage}",
        hires_cert=" ({certs} cert.)", stage_moves_row="Moves {a} → {b}", rotation_row="Moves between areas",
        temporary_row="Temporary cover (FTE)",
        short_table="Shortfall left, by stage and subject ({y0}–{y1}, FTE-years)", with_plan="With the plan",
        no_action="No action",
        cash="Cash cost {y0}–{y1}: {total} (100m yuan: salaries {salary}, hiring {hiring}, temporary cover "
             "{temporary}, moves {moves}); the penalty weights on shortfall and surplus are not cash.",
        waves="Where each stage's wave is (district)",
        wave_rise="{stage}: rising to a peak in {peak} of {n:,.0f} pupils ({chg} on {base}), {end:,.0f} by {last}",
        wave_rise_end="{stage}: rising throughout: {end:,.0f} pupils in {last} ({chg} on {base})",
        wave_fall="{stage}: falling since {peak} ({n:,.0f} pupils): {end:,.0f} by {last} ({chg} on {base})",
        wave_now="{stage}: at its peak in {base} ({n:,.0f} pupils), falling after: {end:,.0f} by {last} ({chg})",
        wave="The school-age wave: pupils by grade (persons)", grade="Grade", year="School year",
        pupils="Pupils (persons)",
        fan="Enrolment by stage (persons; 80%/95% intervals)", observed="Observed", central="Projection",
        band80="80% interval", band95="95% interval",
        dvs="Teachers needed vs teachers still in post, no action (persons)", demand="Needed",
        supply="In post (incl. temporary)", gap_fill="Shortfall",
        gap="Gap by stage and subject (needed − in post, persons; positive = shortfall)", gap_unit="persons (+ = short)",
        plan="The plan by year", posts_stage="Posts used by stage (posts)", hires_stage="Hires by stage (persons)",
        moves="Moves between stages and areas (persons)", cover="Temporary cover and shortfall left (FTE)",
        temporary="Temporary cover", shortfall="Shortfall left", rotation="Between areas",
        upper="of them certified above their stage: {n:,.0f}",
        area_short="Shortfall left by area and stage, with the plan (FTE; grey line: no action)",
        area_plan="The plan by area ({y0}–{y1} summed; posts in {y1})",
        areas_shown=" (the {n} areas most short, of {total})",
        area_cols=["Area", "Stage", "Posts\n{y1}", "Change\non {base}", "Hires", "Moved in\n(stages)",
                   "Moved out\n(stages)", "Moved in\n(areas)", "Moved out\n(areas)", "Temporary\n(FTE-yrs)",
                   "Shortfall\n(FTE-yrs)"],
        lp_vs="The optimised plan against its baselines", short_y="Shortfall (FTE)", surplus_y="Surplus (FTE)",
        cost_y="Cash cost (100m yuan)",
        comp_cols=["Plan", "Shortfall\n(FTE-years)", "Surplus\n(FTE-years)", "Hires\n(persons)",
                   "Cash cost\n(100m yuan)", "Objective (100m\nyuan-equivalent,\nwith penalties)"],
        comp_note="Cash cost: salaries, hiring, temporary cover and moves. The objective adds the penalty weights "
                  "on shortfall and surplus; it is not cash.",
        value="What one more permanent post buys (FTE-years per post, over the plan)",
        value_short="Shortfall avoided (FTE-years per post)", value_temp="Temporary cover replaced (FTE-years per post)",
        value_all="every stage alike", value_areas=" (the {n} areas where a post does most, of {total})",
        assumptions="Assumptions and sources (every setting that ran, defaults included)",
        assumptions_more="Assumptions and sources (continued)", setting="Setting", value_col="Value",
        sections={"data": "Data", "grades": "Grades", "forecast": "Enrolment forecast", "demand": "Teachers needed",
                  "supply": "Teachers in post", "plan": "Plan", "city": "City"},
        sure="How sure are we: the shortfall when the forecast is wrong",
        sure_sentence="With these {posts} {stage} posts, the {stage} shortfall in {year} stays under {x} FTE "
                      "9 times out of 10 (the plan for the point forecast: {y} FTE).",
        sure_panel="Shortfall (FTE; line: median, band: 10%–90%)", sure_stochastic="Robust plan ({k} forecast paths)",
        sure_central="Plan for the point forecast", sure_threshold="threshold {t} FTE",
        sure_committed="years decided now",
        sure_vss="Judged on {e} fresh forecast paths: expected shortfall {a} FTE-years with the robust plan, {b} "
                 "with the plan for the point forecast; objective lower by {vss} (100m yuan-equivalent, ±{se}, "
                 "penalties included), cash higher by {cash} (100m yuan).",
        sure_evpi="Knowing the future would save a further {evpi} (100m yuan-equivalent, ±{se}, from {n} paths).",
        sure_exceed="Chance that the shortfall exceeds {t} FTE in a year decided now (the worst year; robust plan / "
                    "plan for the point forecast): {parts}.",
        sure_no_evpi="The value of perfect information was not estimated (plan.evpi_paths = 0).",
        not_set="not set", yes="yes", no="no", none="none", inputs="Input files (first 12 hex digits of SHA-256)",
        sources="Sources: Beijing births and stage totals (NBS provincial data); staffing standard 2014 "
                "(中央编办发〔2014〕72号); compulsory curriculum plan 2022; retirement: NPC Standing Committee "
                "decision of 13 Sep 2024."),
}


def _stage(stage: str, lang: str) -> str:
    return stage_label(stage, lang)


def title(result, lang: str) -> str:
    """The scenario's title; one side of a "中文 / English" title."""
    t = result.scenario.title
    if " / " in t:
        zh, en = t.split(" / ", 1)
        return zh if lang == "zh" else en
    return t


def _n(v: float, digits: int = 0) -> str:
    """A number with thousands separators; never '-0'."""
    v = float(v)
    if abs(v) < 0.5 * 10 ** -digits:
        v = 0.0
    return f"{v:,.{digits}f}"


def _pct(v: float) -> str:
    """A signed share, never '+0%' for a change that rounds to nothing."""
    return "±0%" if abs(v) < 0.005 else f"{v:+.0%}"


def _page(title: str) -> Figure:
    """A page: a figure outside pyplot, so that writing a report neither needs
    nor changes a backend (a notebook keeps its inline charts)."""
    fig = Figure(figsize=PAGE)
    fig.suptitle(title, fontsize=20, y=0.97)
    return fig


def _save(pdf, fig) -> None:
    pdf.savefig(fig)


def _stages(frame: pd.DataFrame, col: str = "stage") -> list[str]:
    present = set(frame[col])
    return [s for s in STAGE_EN if s in present]


def _first_years(r) -> list[int]:
    return sorted(int(y) for y in r.plan.staff.year.unique())[:3]


# --- page 1: the decision page -------------------------------------------------------------------

def action_table(r, years: list[int], lang: str) -> tuple[list[str], list[list[str]]]:
    """What the plan asks for in ``years``: row labels and one column of
    text cells per year — posts per stage and in all against the cap
    (posts), hires per stage with their certificates, moves between stages
    and areas, temporary cover (persons; FTE for cover)."""
    T = TEXT[lang]
    p = r.plan
    posts = p.posts[p.posts.year.isin(years)]
    rows, cells = [], []
    by_stage = posts.groupby(["stage", "year"]).posts.sum()
    for s in _stages(posts):
        rows.append(T["posts_row"].format(stage=_stage(s, lang)))
        cells.append([_n(by_stage[(s, y)]) for y in years])
    used = posts.groupby("year").posts.sum()
    cap = posts.groupby(["region", "year"]).cap.first().groupby("year").sum()
    rows.append(T["cap_row"])
    cells.append([f"{_n(used[y])} / {_n(cap[y])}" for y in years])
    h = p.hires[p.hires.year.isin(years)]
    hires = h.groupby(["stage", "certificate", "year"]).teachers.sum()
    for s in _stages(p.staff):
        certs = [c for c in certificates_for(s) if c in set(h[h.stage == s].certificate)]
        label = T["hires_row"].format(stage=_stage(s, lang))
        if len(certs) > 1:
            label += T["hires_cert"].format(certs="/".join(_stage(c, lang) if lang == "zh" else c for c in certs))
        row = []
        for y in years:
            by_cert = [float(hires.get((s, c, y), 0.0)) for c in certs]
            total = _n(sum(by_cert))
            row.append(total if len(certs) <= 1 else f"{total} ({' / '.join(_n(v) for v in by_cert)})")
        rows.append(label)
        cells.append(row)
    mv = p.moves[p.moves.year.isin(years)]
    stage_mv = mv[(mv.region_from == mv.region_to) & (mv.stage_from != mv.stage_to)]
    pairs = stage_mv.groupby(["stage_from", "stage_to", "year"]).teachers.sum()
    order = {s: i for i, s in enumerate(STAGE_EN)}
    for a, b in sorted({(a, b) for a, b, _ in pairs.index}, key=lambda k: (order[k[0]], order[k[1]])):
        values = [float(pairs.get((a, b, y), 0.0)) for y in years]
        if max(values) >= 0.5:
            rows.append(T["stage_moves_row"].format(a=_stage(a, lang), b=_stage(b, lang)))
            cells.append([_n(v) for v in values])
    rot = mv[mv.region_from != mv.region_to].groupby("year").teachers.sum()
    rows.append(T["rotation_row"])
    cells.append([_n(rot.get(y, 0.0)) for y in years])
    temp = p.staff[p.staff.year.isin(years)].groupby("year").temporary.sum()
    rows.append(T["temporary_row"])
    cells.append([_n(temp[y]) for y in years])
    return rows, cells


def shortfall_cells(r, years: list[int], n: int = 14) -> pd.DataFrame:
    """Shortfall over ``years`` by stage and subject (FTE-years): columns
    no_action and with_plan; the ``n`` cells with most no-action shortfall
    (among those short either way), in stage order then size."""
    gap = r.gap[r.gap.year.isin(years)].groupby(["stage", "subject"]).shortfall.sum()
    plan = r.plan.staff[r.plan.staff.year.isin(years)].groupby(["stage", "subject"]).shortfall.sum()
    t = pd.DataFrame({"no_action": gap, "with_plan": plan}).fillna(0.0)
    t = t[(t.no_action >= 0.5) | (t.with_plan >= 0.5)]
    t = t.sort_values("no_action", ascending=False).head(n)
    order = {s: i for i, s in enumerate(STAGE_EN)}
    keys = sorted(t.index, key=lambda k: (order[k[0]], -t.no_action[k]))
    return t.loc[keys]


def wave_sentences(r, lang: str) -> list[str]:
    """One sentence per stage: rising to a peak in year X, rising
    throughout, at its peak now, or falling since year Y (district total,
    observed and projected, persons)."""
    T = TEXT[lang]
    e = r.stage_totals()
    base = int(e[e.kind == "observed"].year.max())
    out = []
    for s in _stages(e):
        d = e[e.stage == s].set_index("year").students.sort_index()
        last = int(d.index.max())
        b, end = float(d[base]), float(d[last])
        future = d[d.index >= base]
        peak = int(future.idxmax())
        kw = dict(stage=_stage(s, lang), base=base, last=last, end=end)
        if peak == last and peak > base:
            out.append(T["wave_rise_end"].format(chg=_pct(end / b - 1), **kw))
        elif peak > base:
            out.append(T["wave_rise"].format(peak=peak, n=float(d[peak]), chg=_pct(d[peak] / b - 1), **kw))
        else:
            top = int(d[d.index <= base].idxmax())
            key = "wave_now" if top == base else "wave_fall"
            out.append(T[key].format(peak=top, n=float(d[top]), chg=_pct(end / b - 1), **kw))
    return out


def cash_line(r, years: list[int], lang: str) -> str:
    p = r.plan
    c = plan_costs(p.staff, p.moves, p.hires, p.params).loc[years] / 1e8
    return TEXT[lang]["cash"].format(y0=years[0], y1=years[-1], total=_n(c.to_numpy().sum(), 1),
                                     salary=_n(c.salary.sum(), 1), hiring=_n(c.hiring.sum(), 1),
                                     temporary=_n(c.temporary.sum(), 1),
                                     moves=_n(c.stage_moves.sum() + c.region_moves.sum(), 2))


def _table(ax, rows, cells, col_labels, fontsize=9.5, first_width=0.46, height=None, widths=None):
    ax.axis("off")
    n = len(col_labels) - 1
    widths = widths or [first_width] + [(1 - first_width) / n] * n
    tab = ax.table(cellText=[[r] + c for r, c in zip(rows, cells)], colLabels=col_labels, colWidths=widths,
                   loc="upper left", cellLoc="right", bbox=None)
    tab.auto_set_font_size(False)
    tab.set_fontsize(fontsize)
    for (i, j), cell in tab.get_celld().items():
        cell.set_edgecolor("#bbbbbb")
        if height:
            cell.set_height(height)
        if i == 0:
            cell.set_facecolor("#eeeeee")
            cell.set_text_props(color="#000000")
        if j == 0:
            cell.set_text_props(ha="left")
            cell.PAD = 0.02
    return tab


def post_value_line(r, lang: str) -> str:
    """What one more permanent post buys over the plan, as the range over
    areas (post_value.csv): FTE-years of shortfall avoided and of temporary
    cover replaced, and the cash it adds (yuan); '' when posts were not priced."""
    v = r.plan.post_value
    if v is None or not len(v):
        return ""

    def span(col, scale=1.0, digits=0):
        lo, hi = v[col].min() / scale, v[col].max() / scale
        return _n(lo, digits) if _n(lo, digits) == _n(hi, digits) else f"{_n(lo, digits)}–{_n(hi, digits)}"

    T = TEXT[lang]
    return T["post_line"].format(y0=int(v.from_year.min()), short=span("post_value_fte"),
                                 temp=span("post_value_temporary"),
                                 cash=span("post_value_yuan", 1e4 if lang == "zh" else 1e3))


def summary_page(pdf, r, T, lang):
    s = r.summary()
    years = _first_years(r)
    fig = _page(T["title"])
    fig.text(0.03, 0.905, f"{T['scenario']}：{title(r, lang)}" if lang == "zh" else
             f"{T['scenario']}: {title(r, lang)}", fontsize=12)
    fig.text(0.97, 0.905, T["summary"].format(y0=years[0], y1=years[-1]), fontsize=12, ha="right")
    boxes = [(T["short_no"], _n(s["shortfall_no_action"]), T["unit_fte"]),
             (T["short_plan"], _n(s["shortfall_after_plan"]), T["unit_fte"]),
             (T["posts"], _n(s["posts_needed"]), T["unit_posts"]),
             (T["cost"], _n(s["cost"] / 1e8, 1), T["unit_yuan"])]
    for i, (label, value, unit) in enumerate(boxes):
        x = 0.03 + i * 0.245
        fig.text(x, 0.865, label, fontsize=10.5, color="#333333")
        fig.text(x, 0.815, value, fontsize=24, color=SHORT_COLOR if i == 0 else "black")
        fig.text(x + 0.012 * (len(value) + 1.5), 0.818, unit, fontsize=10, color="#555555")
    # what the plan asks for, year by year
    fig.text(0.03, 0.765, T["actions"], fontsize=13)
    rows, cells = action_table(r, years, lang)
    ax = fig.add_axes([0.03, 0.30, 0.53, 0.455])
    _table(ax, rows, cells, [T["item"]] + [str(y) for y in years], fontsize=8.8, first_width=0.5,
           height=min(0.065, 0.98 / (len(rows) + 1)))
    # shortfall left by stage and subject, with and without the plan
    fig.text(0.60, 0.765, T["short_table"].format(y0=years[0], y1=years[-1]), fontsize=12)
    t = shortfall_cells(r, years)
    ax = fig.add_axes([0.72, 0.31, 0.26, 0.40])
    y = np.arange(len(t))
    ax.barh(y - 0.2, t.no_action, height=0.4, color=NO_ACTION_COLOR, label=T["no_action"])
    ax.barh(y + 0.2, t.with_plan, height=0.4, color=SHORT_COLOR, label=T["with_plan"])
    ax.set_yticks(y, [f"{_stage(a, lang)}·{subject_label(b, lang)}" for a, b in t.index], fontsize=8.5)
    ax.invert_yaxis()
    top = float(t.to_numpy().max()) if len(t) else 1.0
    ax.set_xlim(0, top * 1.3)
    for yy, (a, b) in zip(y, t.to_numpy()):
        ax.text(a, yy - 0.2, " " + _n(a), va="center", fontsize=7.5)
        ax.text(b, yy + 0.2, " " + _n(b), va="center", fontsize=7.5, color=SHORT_COLOR)
    ax.tick_params(axis="x", labelsize=8)
    ax.legend(fontsize=8.5, loc="lower left", bbox_to_anchor=(-0.45, 1.0), ncol=2, frameon=False)
    # cash cost, the waves, the limits
    text = " ".join(t for t in (cash_line(r, years, lang), post_value_line(r, lang)) if t)
    fig.text(0.03, 0.262, textwrap.fill(text, 105 if lang == "zh" else 160), fontsize=10, va="top")
    fig.text(0.03, 0.178, T["waves"], fontsize=12)
    for i, line in enumerate(wave_sentences(r, lang)):
        fig.text(0.045, 0.145 - i * 0.03, line, fontsize=10)
    v = r.plan.violations
    if len(v):
        fig.text(0.60, 0.178, T["violated"], fontsize=11, color=SHORT_COLOR)
        top = v.groupby("limit").amount.agg(["count", "sum"])
        for i, (limit, row) in enumerate(top.head(4).iterrows()):
            fig.text(0.615, 0.145 - i * 0.03, T["violation_row"].format(
                limit=LIMIT_ZH.get(limit, limit) if lang == "zh" else limit, n=int(row["count"]),
                amount=row["sum"]), fontsize=10, color=SHORT_COLOR)
    else:
        fig.text(0.60, 0.178, T["feasible"], fontsize=11, color="#2f6f2f")
    _save(pdf, fig)


# --- how sure are we (the stochastic plan) ------------------------------------------------------

def sure_cell(r) -> dict:
    """The promise a planner can make in the room: among the years decided
    now, the stage and year whose shortfall is hardest to hold (the largest
    90th percentile under the robust plan); its 90th percentile under both
    plans (FTE) and the robust plan's posts of that stage and year."""
    risk = r.stochastic.risk()
    now = risk[risk.committed]
    rob = now[now.plan == "stochastic"].set_index(["stage", "year"])
    cen = now[now.plan == "central"].set_index(["stage", "year"])
    stage, year = rob.q90.idxmax()
    posts = r.stochastic.plan.posts
    n = float(posts[(posts.stage == stage) & (posts.year == year)].posts.sum())
    return dict(stage=stage, year=int(year), x=float(rob.q90[(stage, year)]), y=float(cen.q90[(stage, year)]),
                posts=n)


def _up(v: float) -> str:
    """A promise rounded up, never down: 'under X' must hold."""
    return _n(np.ceil(v - 1e-9))


def certainty_page(pdf, r, T, lang):
    """The robust (stochastic) plan against the plan for the point forecast
    on fresh forecast paths: the shortfall's median and 10–90% band by stage
    and year under both, the threshold, the years decided now shaded; one
    sentence to say in the room; VSS, EVPI and exceedance with their
    standard errors. Only when the run planned for uncertainty."""
    if r.stochastic is None:
        return
    st, ev = r.stochastic, r.stochastic.evaluation
    f = st.figures()
    fig = _page(T["sure"])
    c = sure_cell(r)
    stage = _stage(c["stage"], lang)
    sentence = T["sure_sentence"].format(posts=_n(c["posts"]), stage=stage if lang == "zh" else stage.lower(),
                                         year=c["year"], x=_up(c["x"]), y=_up(c["y"]))
    fig.text(0.5, 0.905, textwrap.fill(sentence, 70 if lang == "zh" else 140), fontsize=13, ha="center",
             va="top", color="#08306b")
    committed = ev.stochastic.years[:ev.commit_years]
    boxes = [[0.06, 0.525, 0.38, 0.235], [0.56, 0.525, 0.38, 0.235], [0.06, 0.225, 0.38, 0.235],
             [0.56, 0.225, 0.38, 0.235]]
    stages = [s for s in STAGE_EN if s in ev.stochastic.stages]
    for box, s in zip(boxes, stages):
        ax = fig.add_axes(box)
        k = ev.stochastic.stages.index(s)
        years = np.array(ev.stochastic.years)
        top = 0.0
        for pc, color, ls in ((ev.central, NO_ACTION_COLOR, "--"), (ev.stochastic, COLORS[s], "-")):
            lo, mid, hi = np.quantile(pc.shortfall[k], [0.1, 0.5, 0.9], axis=1)
            ax.fill_between(years, lo, hi, color=color, alpha=0.25, lw=0)
            ax.plot(years, mid, color=color, lw=2.2, ls=ls)
            top = max(top, float(hi.max()))
        ax.axhline(ev.threshold, color="black", lw=1, ls=":")
        ax.axvspan(committed[0] - 0.5, committed[-1] + 0.5, color="#f0f0f0", zorder=0)
        ax.set_ylim(0, max(top, ev.threshold) * 1.15 or 1.0)
        ax.set_xticks(years, [str(y) for y in years], fontsize=8.5, rotation=45)
        ax.tick_params(axis="y", labelsize=8.5)
        ax.set_title(_stage(s, lang), fontsize=12)
    handles = [plt.Line2D([], [], color="#333333", lw=2.2), plt.Line2D([], [], color=NO_ACTION_COLOR, lw=2.2, ls="--"),
               plt.Line2D([], [], color="black", lw=1, ls=":"), plt.Rectangle((0, 0), 1, 1, color="#f0f0f0")]
    labels = [T["sure_stochastic"].format(k=st.plan.paths) + ("（学段颜色）" if lang == "zh" else " (stage colour)"),
              T["sure_central"], T["sure_threshold"].format(t=_n(ev.threshold)), T["sure_committed"]]
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.855), ncol=4, fontsize=9.5,
               frameon=False)
    fig.text(0.5, 0.79, T["sure_panel"], fontsize=10, ha="center", color="#333333")
    risk = st.risk()
    worst = risk[risk.committed].groupby(["stage", "plan"]).p_exceed.max()
    parts = ("，" if lang == "zh" else ", ").join(
        f"{_stage(s, lang)} {worst[(s, 'stochastic')]:.0%} / {worst[(s, 'central')]:.0%}" for s in stages)
    lines = [T["sure_vss"].format(e=_n(f["eval_paths"]), a=_n(f["shortfall_stochastic_fte"]),
                                  b=_n(f["shortfall_central_fte"]), vss=_n(f["vss_yuan"] / 1e8, 2),
                                  se=_n(f["vss_se_yuan"] / 1e8, 2), cash=_n(-f["vss_cash_yuan"] / 1e8, 2)),
             T["sure_exceed"].format(t=_n(ev.threshold), parts=parts),
             T["sure_evpi"].format(evpi=_n(f["evpi_yuan"] / 1e8, 2), n=f["evpi_paths"],
                                   se="—" if f["evpi_se_yuan"] is None else _n(f["evpi_se_yuan"] / 1e8, 2))
             if f["evpi_paths"] else T["sure_no_evpi"]]
    y = 0.14
    for line in lines:
        for part in textwrap.wrap(line, 95 if lang == "zh" else 175):
            fig.text(0.04, y, part, fontsize=9.5, va="top")
            y -= 0.023
    _save(pdf, fig)


# --- the forecast --------------------------------------------------------------------------------

def wave_page(pdf, r, T, lang):
    fig = _page(T["wave"])
    ax = fig.add_axes([0.08, 0.1, 0.8, 0.78])
    w = r.enrolment.groupby(["grade", "year"]).students.sum().unstack("year")
    im = ax.imshow(w.to_numpy(), aspect="auto", cmap="YlOrRd", origin="lower", vmin=0)
    ax.set_yticks(range(len(w.index)), [str(g) for g in w.index], fontsize=11)
    ax.set_xticks(range(len(w.columns)), [str(y) for y in w.columns], rotation=45, fontsize=11)
    ax.set_xlabel(T["year"], fontsize=13)
    ax.set_ylabel(T["grade"], fontsize=13)
    first_proj = int(r.enrolment[r.enrolment.kind == "projected"].year.min())
    ax.axvline(list(w.columns).index(first_proj) - 0.5, color="black", lw=2, ls="--")
    bar = fig.colorbar(im, ax=ax, fraction=0.04)
    bar.set_label(T["pupils"], fontsize=11)
    _save(pdf, fig)


def _stage_grid(fig, stages, top=0.84):
    axes = fig.subplots(2, 2, squeeze=False).ravel()
    fig.subplots_adjust(top=top, hspace=0.35, wspace=0.18, left=0.07, right=0.97, bottom=0.07)
    return dict(zip(stages, axes))


def fan_page(pdf, r, T, lang):
    fig = _page(T["fan"])
    e = r.stage_totals()
    for stage, ax in _stage_grid(fig, _stages(e)).items():
        d = e[e.stage == stage]
        obs, proj = d[d.kind == "observed"], d[d.kind == "projected"]
        ax.fill_between(proj.year, proj.lo95, proj.hi95, color=COLORS[stage], alpha=0.15, lw=0)
        ax.fill_between(proj.year, proj.lo80, proj.hi80, color=COLORS[stage], alpha=0.3, lw=0)
        ax.plot(obs.year, obs.students, color="black", lw=2.5)
        ax.plot(proj.year, proj.students, color=COLORS[stage], lw=2.5)
        ax.set_ylim(0, float(d.hi95.max()) * 1.08)
        ax.set_title(_stage(stage, lang), fontsize=14)
        ax.tick_params(labelsize=10)
    handles = [plt.Line2D([], [], color="black", lw=2.5), plt.Line2D([], [], color="#555555", lw=2.5),
               plt.Rectangle((0, 0), 1, 1, color="#555555", alpha=0.45),
               plt.Rectangle((0, 0), 1, 1, color="#555555", alpha=0.15)]
    fig.legend(handles, [T["observed"], T["central"], T["band80"], T["band95"]], loc="upper center",
               bbox_to_anchor=(0.5, 0.93), ncol=4, fontsize=10, frameon=False)
    _save(pdf, fig)


def demand_supply_page(pdf, r, T, lang):
    fig = _page(T["dvs"])
    g = r.gap.groupby(["stage", "year"])[["demand", "supply"]].sum().reset_index()
    for stage, ax in _stage_grid(fig, _stages(g)).items():
        d = g[g.stage == stage]
        ax.plot(d.year, d.demand, color=COLORS[stage], lw=2.5)
        ax.plot(d.year, d.supply, color="gray", lw=2.5, ls="--")
        ax.fill_between(d.year, d.supply, d.demand, where=d.demand > d.supply, color=SHORT_COLOR, alpha=0.2, lw=0)
        ax.set_ylim(0, float(d[["demand", "supply"]].to_numpy().max()) * 1.08)
        ax.set_title(_stage(stage, lang), fontsize=14)
        ax.tick_params(labelsize=10)
    handles = [plt.Line2D([], [], color="#333333", lw=2.5), plt.Line2D([], [], color="gray", lw=2.5, ls="--"),
               plt.Rectangle((0, 0), 1, 1, color=SHORT_COLOR, alpha=0.2)]
    fig.legend(handles, [T["demand"] + "（学段颜色）" if lang == "zh" else T["demand"] + " (stage colour)",
                         T["supply"], T["gap_fill"]], loc="upper center", bbox_to_anchor=(0.5, 0.93), ncol=3,
               fontsize=10, frameon=False)
    _save(pdf, fig)


def gap_page(pdf, r, T, lang):
    fig = _page(T["gap"])
    ax = fig.add_axes([0.2, 0.1, 0.7, 0.78])
    g = r.gap.groupby(["stage", "subject", "year"]).gap.sum().unstack("year")
    order = {s: i for i, s in enumerate(STAGE_EN)}
    g = g.loc[sorted(g.index, key=lambda k: (order[k[0]], k[1]))]
    lim = float(np.nanmax(np.abs(g.to_numpy()))) or 1.0
    im = ax.imshow(g.to_numpy(), aspect="auto", cmap="RdBu_r", vmin=-lim, vmax=lim)
    ax.set_yticks(range(len(g)), [f"{_stage(s, lang)}·{subject_label(j, lang)}" for s, j in g.index], fontsize=9)
    ax.set_xticks(range(len(g.columns)), [str(y) for y in g.columns], rotation=45, fontsize=11)
    bar = fig.colorbar(im, ax=ax, fraction=0.04)
    bar.set_label(T["gap_unit"], fontsize=11)
    _save(pdf, fig)


# --- the plan ------------------------------------------------------------------------------------

def _stacked(ax, frame: pd.DataFrame, colors: list[str], label_totals: bool = True) -> None:
    """Stacked bars by year (index) and part (columns), y from 0 to above the
    tallest bar, the total written on each bar."""
    x = np.arange(len(frame))
    bottom = np.zeros(len(frame))
    for col, color in zip(frame.columns, colors):
        v = frame[col].fillna(0.0).to_numpy()
        ax.bar(x, v, bottom=bottom, color=color, label=str(col), width=0.75)
        bottom += v
    top = float(bottom.max()) if len(bottom) else 0.0
    ax.set_ylim(0, top * 1.15 if top > 0 else 1.0)
    if label_totals:
        crowded = len(x) > 8 and max(len(_n(t)) for t in bottom) > 4
        for xi, t in zip(x, bottom):
            ax.text(xi, t, " " + _n(t) if crowded else _n(t), ha="center", va="bottom", fontsize=7,
                    rotation=90 if crowded else 0)
        if crowded:
            ax.set_ylim(0, top * 1.3 if top > 0 else 1.0)
    ax.set_xticks(x, [str(y) for y in frame.index], rotation=45, fontsize=9)
    ax.tick_params(axis="y", labelsize=9)


def plan_page(pdf, r, T, lang):
    fig = _page(T["plan"])
    boxes = [[0.06, 0.53, 0.30, 0.33], [0.56, 0.53, 0.30, 0.33], [0.06, 0.08, 0.30, 0.33], [0.56, 0.08, 0.30, 0.33]]
    axes = [fig.add_axes(b) for b in boxes]
    p = r.plan
    stages = _stages(p.posts)
    posts = p.posts.groupby(["year", "stage"]).filled.sum().unstack("stage")[stages]
    _stacked(axes[0], posts, [COLORS[s] for s in stages])
    axes[0].set_title(T["posts_stage"], fontsize=12)
    hires = p.hires.groupby(["year", "stage"]).teachers.sum().unstack("stage").reindex(
        index=posts.index, columns=stages).fillna(0.0)
    _stacked(axes[1], hires, [COLORS[s] for s in stages])
    upper = p.hires[p.hires.certificate != p.hires.stage].teachers.sum()
    axes[1].set_title(T["hires_stage"] + "\n" + T["upper"].format(n=upper), fontsize=11)
    for ax in axes[:2]:
        ax.legend([_stage(s, lang) for s in stages], fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  frameon=False)
    mv = p.moves
    stage_mv = mv[(mv.region_from == mv.region_to) & (mv.stage_from != mv.stage_to)]
    short = (lambda s: _stage(s, lang)) if lang == "zh" else (lambda s: STAGE_EN[s].split()[0])  # 'Junior'
    pair = stage_mv.stage_from.map(short) + "→" + stage_mv.stage_to.map(short)
    moves = stage_mv.assign(pair=pair).groupby(["year", "pair"]).teachers.sum().unstack("pair")
    moves = moves.reindex(index=posts.index).fillna(0.0)
    moves = moves.loc[:, moves.sum() >= 0.5]
    moves[T["rotation"]] = mv[mv.region_from != mv.region_to].groupby("year").teachers.sum().reindex(
        posts.index).fillna(0.0)
    _stacked(axes[2], moves, MOVE_COLORS[:moves.shape[1] - 1] + [ROTATION_COLOR])
    axes[2].set_title(T["moves"], fontsize=12)
    axes[2].legend(fontsize=8.5, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    c = p.staff.groupby("year")[["temporary", "shortfall"]].sum()
    c.columns = [T["temporary"], T["shortfall"]]
    _stacked(axes[3], c, [TEMPORARY_COLOR, SHORT_COLOR])
    axes[3].set_title(T["cover"], fontsize=12)
    axes[3].legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    _save(pdf, fig)


#: areas on the per-area pages: all of a district's; of a city's or a country's, the most short
AREAS_SHOWN = 36
#: small panels per page, and areas per page of the area table
AREA_PANELS = 9
AREA_TABLE_AREAS = 6


def areas_shown(r, lang: str) -> tuple[list[str], int]:
    """The areas the per-area pages show (all, in the areas table's order, or
    the ``AREAS_SHOWN`` with most shortfall left, most first) and how many
    there are."""
    regions = list(r.area_names(lang))
    if len(regions) <= AREAS_SHOWN:
        return regions, len(regions)
    short = r.plan.staff.groupby("region").shortfall.sum().sort_values(ascending=False, kind="stable")
    return list(short.index[:AREAS_SHOWN]), len(regions)


def _shown_note(T, shown: int, total: int) -> str:
    return "" if shown == total else T["areas_shown"].format(n=shown, total=total)


def area_shortfall_page(pdf, r, T, lang):
    """Small multiples: one panel per area, shortfall left by stage and year
    (stacked, stage colours) and the no-action shortfall (grey line), one
    y scale for all, from 0; up to ``AREA_PANELS`` areas a page."""
    names = r.area_names(lang)
    regions, total = areas_shown(r, lang)
    staff, gap = r.plan.staff, r.gap[r.gap.year.isin(r.plan.staff.year.unique())]
    stages = _stages(staff)
    # one scale for the areas shown, cut from the whole tables once (a country has 2,850 areas)
    staff, gap = staff[staff.region.isin(regions)], gap[gap.region.isin(regions)]
    none = gap.groupby(["region", "year"]).shortfall.sum()
    ymax = max(float(none.max()) if len(none) else 0.0,
               float(staff.groupby(["region", "year"]).shortfall.sum().max())) * 1.1 or 1.0
    for first in range(0, len(regions), AREA_PANELS):
        page = regions[first:first + AREA_PANELS]
        fig = _page(T["area_short"] + _shown_note(T, len(regions), total))
        n = len(page)
        ncol = 3 if n > 4 else 2 if n > 1 else 1
        nrow = int(np.ceil(n / ncol))
        left, right, bottom, top = 0.04, 0.80, 0.07, 0.86
        w, h = (right - left) / ncol, (top - bottom) / nrow
        for i, region in enumerate(page):
            row, col = divmod(i, ncol)
            ax = fig.add_axes([left + col * w + 0.035, top - (row + 1) * h + 0.05, w - 0.05, h - 0.09])
            d = staff[staff.region == region].groupby(["year", "stage"]).shortfall.sum().unstack("stage").reindex(
                columns=stages).fillna(0.0)
            x = np.arange(len(d))
            bottom_ = np.zeros(len(d))
            for s in stages:
                ax.bar(x, d[s].to_numpy(), bottom=bottom_, color=COLORS[s], width=0.75)
                bottom_ += d[s].to_numpy()
            ax.plot(x, none.loc[region].reindex(d.index).fillna(0.0).to_numpy(), color=NO_ACTION_COLOR, lw=2,
                    marker="o", ms=3)
            ax.set_ylim(0, ymax)
            ax.set_title(names[region], fontsize=12 if nrow < 3 else 10)
            ax.set_xticks(x[::2], [str(y) for y in d.index[::2]], fontsize=8)
            ax.tick_params(axis="y", labelsize=8)
        handles = [plt.Rectangle((0, 0), 1, 1, color=COLORS[s]) for s in stages] + [
            plt.Line2D([], [], color=NO_ACTION_COLOR, lw=2, marker="o", ms=3)]
        fig.legend(handles, [_stage(s, lang) for s in stages] + [T["no_action"]], loc="upper left",
                   bbox_to_anchor=(0.815, 0.86), fontsize=10, frameon=False)
        _save(pdf, fig)


def area_plan_table(r, years: list[int], lang: str, regions: list[str] | None = None
                    ) -> tuple[list[str], list[list[str]]]:
    """Per area and stage over ``years``: posts in the last year and their
    change on the base year (posts), hires, moves in and out between stages
    and between areas (persons), temporary cover and shortfall left
    (FTE-years)."""
    p = r.plan
    names = r.area_names(lang)
    if regions is None:
        regions = list(names)
    staff = p.staff[p.staff.year.isin(years) & p.staff.region.isin(regions)]
    mv = p.moves[p.moves.year.isin(years) & (p.moves.region_from.isin(regions) | p.moves.region_to.isin(regions))]
    stage_mv = mv[(mv.region_from == mv.region_to) & (mv.stage_from != mv.stage_to)]
    rot = mv[mv.region_from != mv.region_to]
    last = p.posts[p.posts.year == years[-1]].set_index(["region", "stage"]).posts
    base = None if r.base_posts is None else dict(zip(zip(r.base_posts.region, r.base_posts.stage),
                                                      r.base_posts.posts))
    rows, cells = [], []
    for region in regions:
        for s in _stages(staff[staff.region == region]):
            sel = (staff.region == region) & (staff.stage == s)
            posts_now = float(last.get((region, s), 0.0))
            start = base.get((region, s)) if base is not None else None
            change = None if start is None else float(posts_now - start)
            cells.append([_stage(s, lang), _n(posts_now), "—" if change is None else
                          ("0" if abs(change) < 0.5 else f"{change:+,.0f}"),
                          _n(staff[sel].hires.sum()),
                          _n(stage_mv[(stage_mv.region_to == region) & (stage_mv.stage_to == s)].teachers.sum()),
                          _n(stage_mv[(stage_mv.region_from == region) & (stage_mv.stage_from == s)].teachers.sum()),
                          _n(rot[(rot.region_to == region) & (rot.stage_to == s)].teachers.sum()),
                          _n(rot[(rot.region_from == region) & (rot.stage_from == s)].teachers.sum()),
                          _n(staff[sel].temporary.sum()), _n(staff[sel].shortfall.sum())])
            rows.append(names[region])
    return rows, cells


def area_plan_page(pdf, r, T, lang):
    """The plan by area and stage over the first three years, up to
    ``AREA_TABLE_AREAS`` areas a page."""
    years = _first_years(r)
    base = r.scenario.base_year
    regions, total = areas_shown(r, lang)
    cols = [c.format(y1=years[-1], base=base) for c in T["area_cols"]]
    for first in range(0, len(regions), AREA_TABLE_AREAS):
        fig = _page(T["area_plan"].format(y0=years[0], y1=years[-1]) + _shown_note(T, len(regions), total))
        rows, cells = area_plan_table(r, years, lang, regions[first:first + AREA_TABLE_AREAS])
        ax = fig.add_axes([0.03, 0.04, 0.94, 0.84])
        # an area's name on its first row only
        shown = [name if i == 0 or rows[i - 1] != name else "" for i, name in enumerate(rows)]
        n = len(cols) - 2
        _table(ax, shown, cells, cols, fontsize=9, height=min(0.05, 0.95 / (len(rows) + 2)),
               widths=[0.11, 0.13] + [0.76 / n] * n)
        _save(pdf, fig)


def comparison_page(pdf, r, T, lang):
    """The plans ``Plan.comparison()`` holds (whatever they are), by year:
    shortfall and surplus (FTE) and cash cost (100m yuan), axes from 0; a
    table of totals with the objective (penalties included) kept apart."""
    fig = _page(T["lp_vs"])
    c = r.plan.comparison()
    plans = list(dict.fromkeys(c.plan))
    names = {pl: PLAN_NAMES.get(pl, (pl, pl))[0 if lang == "zh" else 1] for pl in plans}
    boxes = [[0.06, 0.45, 0.25, 0.38], [0.39, 0.45, 0.25, 0.38], [0.72, 0.45, 0.25, 0.38]]
    for box, (col, title, scale) in zip(boxes, (("shortfall", T["short_y"], 1), ("surplus", T["surplus_y"], 1),
                                                ("cost", T["cost_y"], 1e8))):
        ax = fig.add_axes(box)
        for pl, style in zip(plans, PLAN_STYLES * 2):
            d = c[c.plan == pl]
            ax.plot(d.year, d[col] / scale, lw=2.2, ms=5, label=names[pl], **style)
        ax.set_ylim(0, float(c[col].max()) / scale * 1.12 or 1.0)
        ax.set_title(title, fontsize=12)
        ax.tick_params(labelsize=9)
    fig.legend([plt.Line2D([], [], lw=2.2, **st) for st in PLAN_STYLES[:len(plans)]], [names[p] for p in plans],
               loc="upper center", bbox_to_anchor=(0.5, 0.925), ncol=len(plans), fontsize=10, frameon=False)
    tot = c.groupby("plan", sort=False)[["shortfall", "surplus", "hires", "cost", "objective"]].sum()
    cells = [[_n(row.shortfall), _n(row.surplus), _n(row.hires), _n(row.cost / 1e8, 1), _n(row.objective / 1e8, 1)]
             for row in tot.loc[plans].itertuples()]
    ax = fig.add_axes([0.06, 0.1, 0.88, 0.24])
    tab = _table(ax, [names[p] for p in plans], cells, T["comp_cols"], fontsize=10, first_width=0.3, height=0.2)
    for (i, _j), cell in tab.get_celld().items():
        if i == 0:
            cell.set_height(0.36)  # three-line headings
    fig.text(0.06, 0.06, T["comp_note"], fontsize=10, color="#333333")
    _save(pdf, fig)


def value_page(pdf, r, T, lang):
    """A permanent post per area (post_value.csv): FTE-years of shortfall
    avoided and of temporary cover replaced; one bar per area where every
    stage gets the same (scope 'area'), else one per stage."""
    fig = _page(T["value"])
    fig = _page(T["value"])
    v = r.plan.post_value
    if len(v):
        names = r.area_names(lang)
        one = v[v.scope == "area"].groupby("region", sort=False).first().reset_index().assign(stage=T["value_all"])
        rest = v[v.scope != "area"].assign(stage=lambda d: d.stage.map(lambda s: _stage(s, lang)))
        show = pd.concat([one, rest], ignore_index=True).sort_values("post_value_fte", ascending=False)
        total = len(show)
        show = show.head(AREAS_SHOWN)[::-1]
        labels = show.region.map(names) + " · " + show.stage
        for box, col, title in (([0.2, 0.1, 0.3, 0.7], "post_value_fte", T["value_short"]),
                                ([0.66, 0.1, 0.3, 0.7], "post_value_temporary", T["value_temp"])):
            ax = fig.add_axes(box)
            ax.barh(labels, show[col], color="#2b8cbe")
            ax.set_title(title, fontsize=12)
            ax.tick_params(labelsize=9)
            if box[0] > 0.5:
                ax.set_yticklabels([])
        if total > AREAS_SHOWN:
            fig.text(0.2, 0.84, T["value_areas"].format(n=AREAS_SHOWN, total=total), fontsize=10, color="#333333")
    _save(pdf, fig)


# --- assumptions ---------------------------------------------------------------------------------

def _value_text(value, lang: str) -> str:
    """A setting's value as a planner reads it: numbers with separators,
    stage and subject tables with their names, lists of records one a line."""
    T = TEXT[lang]
    if value is None:
        return T["not_set"]
    if isinstance(value, bool):
        return T["yes"] if value else T["no"]
    if isinstance(value, (int, np.integer)):
        return str(value)  # years, grades, seeds: no separators
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:g}"
    if isinstance(value, dict):
        if not value:
            return T["none"]
        parts = []
        for k, v in value.items():
            label = _stage(k, lang) if k in STAGE_EN else subject_label(k, lang)
            parts.append(f"{label} {_value_text(v, lang)}" if not isinstance(v, dict) else
                         f"{label}: {_value_text(v, lang)}")
        return ", ".join(parts) if lang == "en" else "，".join(parts)
    if isinstance(value, list):
        if not value:
            return T["none"]
        if all(isinstance(x, dict) for x in value):
            shown = "; ".join(" ".join(str(x[k]) for k in x) for x in value[:3])
            return shown + (f"; … ({len(value)})" if len(value) > 3 else "")
        return "–".join(str(x) for x in value) if len(value) == 2 else ", ".join(map(str, value))
    return str(value)


def assumption_rows(r, lang: str) -> list[tuple[str | None, str, str]]:
    """(section heading or None, description with unit, value) for every
    setting that ran, defaults included; keys used only with another
    method or estimator than the one that ran are left out."""
    from scenarios.inputs import TABLES
    from scenarios.schema import SECTIONS

    T = TEXT[lang]
    resolved = r.scenario.resolved()
    rows = []
    for section, cls in SECTIONS.items():
        if section == "city" and r.plan_units == 1:
            continue  # a lone district has no city rows (validate refuses them)
        values = resolved[section]
        only = {s.name: s.only_with for s in settings_of(cls)}
        rows.append((T["sections"][section], "", ""))
        for key, _kind, _default, doc in describe(cls, section):
            name = key.split(".", 1)[1]
            cond = only.get(name)
            if cond and any(values.get(k) not in allowed for k, allowed in cond.items()):
                continue
            value = values.get(name)
            if lang == "zh" and key in SETTING_ZH:
                doc = SETTING_ZH[key]
            if section == "data":
                if name in TABLES:
                    if value is None:
                        continue
                    doc = SETTING_ZH.get(key, TABLES[name].doc) if lang == "zh" else TABLES[name].doc
                    value = f"default/{name}.csv" if value == "default" else Path(value).name
                elif lang != "zh":
                    doc = doc.split(";")[0]
            rows.append((None, doc, _value_text(value, lang)))
    rows.append((T["inputs"], "", ""))
    for table, h in r.input_hashes.items():
        doc = SETTING_ZH.get(f"data.{table}", TABLES[table].doc) if lang == "zh" else TABLES[table].doc
        rows.append((None, doc, f"{Path(h['path']).name} {h['sha256'][:12]}"))
    return rows


def assumptions_pages(pdf, r, T, lang):
    """Two columns of (description, value) per page, wrapped, on as many
    pages as it takes; the sources first, wrapped to the page."""
    rows = assumption_rows(r, lang)
    line_h, fs = 0.0205, 7.8
    doc_w, val_w = (22, 22) if lang == "zh" else (46, 40)  # CJK characters are twice as wide
    columns = [(0.03, 0.29), (0.52, 0.78)]
    first = True
    i = 0
    while i < len(rows):
        fig = _page(T["assumptions"] if first else T["assumptions_more"])
        y_top = 0.9
        if first:
            src = textwrap.wrap(T["sources"], 64 if lang == "zh" else 150)
            for k, line in enumerate(src):
                fig.text(0.03, y_top - k * 0.026, line, fontsize=10, color="#333333")
            y_top -= len(src) * 0.026 + 0.015
            first = False
        for x_doc, x_val in columns:
            y = y_top
            while i < len(rows):
                heading, doc, value = rows[i]
                if heading is not None:
                    if y - 4 * line_h < 0.04:  # a heading with no row under it goes on
                        break
                    y -= 0.006
                    fig.text(x_doc, y, heading, fontsize=9.5, va="top", color="#08306b")
                    y -= line_h * 1.3
                    i += 1
                    continue
                d = textwrap.wrap(doc, doc_w) or [""]
                v = textwrap.wrap(value, val_w) or [""]
                n = max(len(d), len(v))
                if y - n * line_h < 0.03:
                    break
                for k, line in enumerate(d):
                    fig.text(x_doc + 0.01, y - k * line_h, line, fontsize=fs, va="top")
                for k, line in enumerate(v):
                    fig.text(x_val, y - k * line_h, line, fontsize=fs, va="top")
                y -= n * line_h + 0.004
                i += 1
        _save(pdf, fig)


# --- a city of districts ------------------------------------------------------------------------

CITY_TEXT = {
    "zh": dict(title="全市：各区缺编与编制、毕业生分配", short="规划期缺编（人·年），按区县与学段",
               district="区县", cap="片区编制总额合计", posts="分得编制", share="占全市", grads="招聘毕业生",
               first="首个规划年", prices="全市约束的影子价格（元当量，非现金；首个规划年）",
               graduates="毕业生（元当量/人）", cap_total="全市编制总额（元当量/个）",
               budget="全市预算（元当量/元）", none="未设置全市约束：各区分别规划。",
               rounds="协调轮数", shown="（缺编最多的 {n} 个，共 {total:,} 个区县）"),
    "en": dict(title="City: shortfall by district, posts and graduates shared",
               short="Shortfall left over the plan (FTE-years), by district and stage", district="District",
               cap="Areas' caps together", posts="Posts held", share="City share", grads="Graduates hired",
               first="first plan year", prices="Prices of the city rows (yuan-equivalent, not cash; first plan year)",
               graduates="graduates (per graduate)", cap_total="city establishment total (per post)",
               budget="city budget (per yuan)", none="No [city] rows: each district plans on its own.",
               rounds="rounds of coordination", shown=" (the {n} of {total:,} districts with most left)"),
}


#: districts in the city page's chart: the most shortfall first (a country has 2,850, unreadable as bars)
CITY_BARS = 40


def city_page(pdf, r, T, lang: str) -> None:
    """One page for a run of several districts (none for a lone district):
    shortfall by district and stage (the ``CITY_BARS`` with most), and the
    16 with most as a table of caps, posts and graduates."""
    staff = r.plan.staff
    if "district" not in staff.columns:
        return
    W = CITY_TEXT["zh" if lang == "zh" else "en"]
    first = int(staff.year.min())
    fig = _page(W["title"])
    stages = _stages(staff)
    d = staff.groupby(["district", "stage"]).shortfall.sum().unstack("stage").reindex(columns=stages).fillna(0.0)
    d = d.loc[d.sum(axis=1).sort_values(ascending=False, kind="stable").index]
    districts = len(d)
    d = d.iloc[:CITY_BARS]
    ax = fig.add_axes([0.06, 0.53, 0.88, 0.33])
    x = np.arange(len(d))
    bottom = np.zeros(len(d))
    for s in stages:
        ax.bar(x, d[s].to_numpy(), bottom=bottom, color=COLORS[s], width=0.75, label=_stage(s, lang))
        bottom += d[s].to_numpy()
    ax.set_xticks(x, list(d.index), fontsize=8, rotation=45 if len(d) > 8 else 0, ha="right" if len(d) > 8 else "center")
    ax.set_title(W["short"] + ("" if len(d) == districts else W["shown"].format(n=len(d), total=districts)),
                 fontsize=12)
    ax.legend(fontsize=9, frameon=False)

    posts = r.plan.posts[r.plan.posts.year == first]
    hires = r.plan.hires[r.plan.hires.year == first]
    caps = posts.groupby(["district", "region"]).cap.first().groupby("district").sum()
    held = posts.groupby("district").posts.sum()
    grads = hires.groupby("district").teachers.sum().reindex(caps.index, fill_value=0.0)
    order = list(d.index)[:16]
    rows = order
    cells = [[_n(caps[k]), _n(held[k]), f"{held[k] / held.sum():.1%}", _n(grads[k])] for k in order]
    tab_ax = fig.add_axes([0.06, 0.05, 0.52, 0.36])
    _table(tab_ax, rows, cells, [W["district"], W["cap"], W["posts"], W["share"], W["grads"]],
             fontsize=8, first_width=0.24)
    fig.text(0.06, 0.43, f"{W['first']} {first}", fontsize=9)

    lines = []
    prices = r.plan.city.get("prices")
    if prices is None:
        lines.append(W["none"])
    else:
        p = prices[prices.year == first]
        for row in p.itertuples(index=False):
            what = W[row.link] + (f" {certificate_label(row.certificate, lang)}" if row.certificate else "")
            lines.append(f"{what}: {_n(row.price, 2 if row.link == 'budget' else 0)}")
        lines.append(f"{W['rounds']}: {r.plan.city.get('rounds', 1)}")
    fig.text(0.62, 0.41, W["prices"], fontsize=9.5, va="top", color="#08306b", wrap=True)
    for i, line in enumerate(lines[:18]):
        fig.text(0.62, 0.38 - i * 0.018, line, fontsize=8.5, va="top")
    _save(pdf, fig)


PAGES = (summary_page, certainty_page, wave_page, fan_page, demand_supply_page, gap_page, plan_page, city_page,
         area_shortfall_page, area_plan_page, comparison_page, value_page, assumptions_pages)


def write_report(result, path: str | Path, lang: str = "zh") -> None:
    """Write the budget pack for a run to ``path``.

    The cyclic garbage collector is held while the pages are drawn and the
    fonts embedded (``no_cyclic_gc``): its passes over the tens of thousands
    of artists and transforms they make took a tenth of the report's time
    (median 0.49 s of about 4 s over ten pairs of reports), and the same
    bytes are written (SOURCE_DATE_EPOCH set, zh and en). What the pages
    leave as cyclic garbage (about 14 MB for the default district) waits
    for the collector's next pass."""
    if lang not in TEXT:
        raise ValueError(f"language '{lang}' is not 'zh' or 'en'")
    use_cjk()
    T = TEXT[lang]
    with no_cyclic_gc(), PdfPages(path, metadata={"Title": T["title"], "Creator": "staffcast"}) as pdf:
        for page in PAGES:
            page(pdf, result, T, lang)
