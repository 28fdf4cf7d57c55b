"""The report's city page: for a run of several districts, the shortfall
left by district and stage, and how the city's posts and graduates were
shared (with ``[city]`` rows, their prices)."""
from __future__ import annotations

import numpy as np

from scenarios.labels import certificate_label

TEXT = {
    "zh": dict(title="全市：各区缺编与编制、毕业生分配", short="规划期缺编（人·年），按区县与学段",
               district="区县", cap="片区编制总额合计", posts="分得编制", share="占全市", grads="招聘毕业生",
               first="首个规划年", prices="全市约束的影子价格（元当量，非现金；首个规划年）",
               graduates="毕业生（元当量/人）", cap_total="全市编制总额（元当量/个）",
               budget="全市预算（元当量/元）", none="未设置全市约束：各区分别规划。",
               rounds="协调轮数"),
    "en": dict(title="City: shortfall by district, posts and graduates shared",
               short="Shortfall left over the plan (FTE-years), by district and stage", district="District",
               cap="Areas' caps together", posts="Posts held", share="City share", grads="Graduates hired",
               first="first plan year", prices="Prices of the city rows (yuan-equivalent, not cash; first plan year)",
               graduates="graduates (per graduate)", cap_total="city establishment total (per post)",
               budget="city budget (per yuan)", none="No [city] rows: each district plans on its own.",
               rounds="rounds of coordination"),
}


def city_page(pdf, r, T, lang: str) -> None:
    """One page for a run of several districts (none for a lone district)."""
    staff = r.plan.staff
    if "district" not in staff.columns:
        return
    from scenarios import report as R

    W = TEXT["zh" if lang == "zh" else "en"]
    first = int(staff.year.min())
    fig = R._page(W["title"])
    stages = R._stages(staff)
    d = staff.groupby(["district", "stage"]).shortfall.sum().unstack("stage").reindex(columns=stages).fillna(0.0)
    d = d.loc[d.sum(axis=1).sort_values(ascending=False).index]
    ax = fig.add_axes([0.06, 0.53, 0.88, 0.33])
    x = np.arange(len(d))
    bottom = np.zeros(len(d))
    for s in stages:
        ax.bar(x, d[s].to_numpy(), bottom=bottom, color=R.COLORS[s], width=0.75, label=R._stage(s, lang))
        bottom += d[s].to_numpy()
    ax.set_xticks(x, list(d.index), fontsize=8, rotation=45 if len(d) > 8 else 0, ha="right" if len(d) > 8 else "center")
    ax.set_title(W["short"], fontsize=12)
    ax.legend(fontsize=9, frameon=False)

    posts = r.plan.posts[r.plan.posts.year == first]
    hires = r.plan.hires[r.plan.hires.year == first]
    caps = posts.groupby(["district", "region"]).cap.first().groupby("district").sum()
    held = posts.groupby("district").posts.sum()
    grads = hires.groupby("district").teachers.sum().reindex(caps.index, fill_value=0.0)
    order = list(d.index)[:16]
    rows = order
    cells = [[R._n(caps[k]), R._n(held[k]), f"{held[k] / held.sum():.1%}", R._n(grads[k])] for k in order]
    tab_ax = fig.add_axes([0.06, 0.05, 0.52, 0.36])
    R._table(tab_ax, rows, cells, [W["district"], W["cap"], W["posts"], W["share"], W["grads"]],
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
            lines.append(f"{what}: {R._n(row.price, 2 if row.link == 'budget' else 0)}")
        lines.append(f"{W['rounds']}: {r.plan.city.get('rounds', 1)}")
    fig.text(0.62, 0.41, W["prices"], fontsize=9.5, va="top", color="#08306b", wrap=True)
    for i, line in enumerate(lines[:18]):
        fig.text(0.62, 0.38 - i * 0.018, line, fontsize=8.5, va="top")
    R._save(pdf, fig)
