"""Words for codes and columns, in Chinese and English: the report, the
comparison pack and results.xlsx use the same ones."""
from __future__ import annotations

from forecast.curriculum import SUBJECT_ZH
from forecast.grades import STAGE_ZH

STAGE_EN = {"preschool": "Kindergarten", "primary": "Primary", "junior": "Junior secondary",
            "senior": "Senior secondary"}
CERT_ZH = {"preschool": "幼儿园资格", "primary": "小学资格", "junior": "初中资格", "senior": "高中资格"}
CERT_EN = {"preschool": "kindergarten cert.", "primary": "primary cert.", "junior": "junior cert.",
           "senior": "senior cert."}
SUBJECT_EN = {"chinese": "Chinese", "math": "Maths", "english": "English", "science": "Science",
              "humanities": "Humanities", "pe": "PE", "arts": "Arts", "it_labour": "IT & labour",
              "general": "General"}

#: output column -> (Chinese heading, English heading); units in brackets
COLUMNS = {
    "region": ("片区", "Area"), "stage": ("学段", "Stage"), "subject": ("学科", "Subject"),
    "grade": ("年级", "Grade"), "year": ("学年", "Year"), "kind": ("类型（实际/预测）", "Kind (observed/projected)"),
    "students": ("在校生（人）", "Pupils (persons)"), "lo80": ("80%区间下限（人）", "80% low (persons)"),
    "hi80": ("80%区间上限（人）", "80% high (persons)"), "lo95": ("95%区间下限（人）", "95% low (persons)"),
    "hi95": ("95%区间上限（人）", "95% high (persons)"),
    "demand": ("教师需求（人）", "Teachers needed (FTE)"), "permanent": ("在编在岗（人）", "Permanent in post (FTE)"),
    "temporary": ("临时代课（人）", "Temporary cover (FTE)"), "supply": ("在岗合计（人）", "In post (FTE)"),
    "gap": ("缺口（人，正为缺编）", "Gap (FTE, + = short)"), "shortfall": ("缺编（人）", "Shortfall (FTE)"),
    "surplus": ("超编（人）", "Surplus (FTE)"),
    "first_year_gap": ("首年净缺口（人）", "Net gap, first year (FTE)"),
    "largest_gap": ("最大净缺口（人）", "Largest net gap (FTE)"), "largest_gap_year": ("最大缺口年份", "Year of largest gap"),
    "turns_to_shortfall": ("转为缺编年份", "Turns to shortfall"), "turns_to_surplus": ("转为超编年份", "Turns to surplus"),
    "subject_shortfall": ("各学科缺编合计（人·年）", "Subject shortfalls summed (FTE-years)"),
    "shortfall_subjects": ("缺编学科", "Subjects short"),
    "peak_year": ("峰值年份", "Peak year"), "peak_students": ("峰值在校生（人）", "Peak pupils (persons)"),
    "base_year": ("基年", "Base year"), "base_students": ("基年在校生（人）", "Base-year pupils (persons)"),
    "change": ("峰值较基年变化", "Peak against base year"), "next_stage": ("下一学段", "Next stage"),
    "next_peak_year": ("下一学段峰值年份", "Next stage's peak year"),
    "certificate": ("教师资格", "Certificate"), "status": ("身份", "Status"), "headcount": ("人数", "Headcount (persons)"),
    "retired": ("退休（人）", "Retired (persons)"), "left": ("离职（人）", "Left (persons)"),
    "returned": ("返岗（人）", "Returned (persons)"),
    "stock_start": ("年初在编（人）", "Permanent at start (FTE)"), "exits": ("退出（人）", "Exits (FTE)"),
    "hires": ("新招聘（人）", "Hires (FTE)"), "moves_in": ("调入（人）", "Moved in (FTE)"),
    "moves_out": ("调出（人）", "Moved out (FTE)"), "stock_end": ("年末在编（人）", "Permanent at end (FTE)"),
    "posts": ("编制（个）", "Posts"), "cap": ("编制总额（个）", "Cap (posts)"), "filled": ("已占编制（个）", "Posts filled"),
    "post_value": ("增加一个编制的目标值节约（元当量，非现金）", "Objective saved by one more post (yuan-equivalent, not cash)"),
    "post_dual": ("编制约束的对偶价格（元当量，非现金）", "Dual of the post limit (yuan-equivalent, not cash)"),
    "post_value_fte": ("减少缺编（人·年/个）", "Shortfall avoided (FTE-years per post)"),
    "post_value_yuan": ("现金支出变化（元/个）", "Cash spent more (yuan per post)"),
    "post_value_temporary": ("替代临时代课（人·年/个）", "Temporary cover replaced (FTE-years per post)"),
    "value_method": ("计算方法", "Method"), "scope": ("适用范围", "Scope"),
    "from_year": ("起始年份", "From year"), "to_year": ("终止年份", "To year"),
    "region_from": ("调出片区", "From area"), "region_to": ("调入片区", "To area"),
    "stage_from": ("调出学段", "From stage"), "stage_to": ("调入学段", "To stage"),
    "teachers": ("教师（人）", "Teachers (persons)"), "plan": ("方案", "Plan"),
    "posts_used": ("编制使用（个）", "Posts used"), "cost": ("现金成本（元）", "Cash cost (yuan)"),
    "objective": ("目标值（元当量，含惩罚）", "Objective (yuan-equivalent, with penalties)"),
    "limit": ("约束", "Limit"), "where": ("位置", "Where"), "amount": ("超出量", "Amount"),
    "key_teachers": ("骨干教师（人）", "Key teachers (persons)"), "experienced": ("有经验在编（人）", "Experienced permanent (persons)"),
    "key_share": ("骨干占比", "Key share"), "floor": ("占比下限", "Floor"), "key_out": ("骨干调出（人）", "Key out (persons)"),
    "key_in": ("骨干调入（人）", "Key in (persons)"),
    # the stochastic plan (plan_stochastic.csv, plan_risk.csv)
    "decision": ("决策（编制/招聘/年末在编）", "Decision (posts, hires, permanent staff)"),
    "committed": ("本次决策年份", "Decided now"), "stochastic": ("稳健方案", "Robust plan"),
    "central": ("按点预测的方案", "Plan for the point forecast"), "mean": ("期望缺编（人）", "Expected shortfall (FTE)"),
    "q50": ("缺编中位数（人）", "Shortfall, median (FTE)"), "q80": ("缺编80%分位（人）", "Shortfall, 80th pct (FTE)"),
    "q90": ("缺编90%分位（人）", "Shortfall, 90th pct (FTE)"), "q95": ("缺编95%分位（人）", "Shortfall, 95th pct (FTE)"),
    "threshold": ("警戒线（人）", "Threshold (FTE)"), "p_exceed": ("超过警戒线的概率", "Chance above the threshold"),
    "p_exceed_se": ("概率的标准误", "Its standard error"),
    # both plans side by side (comparison_stochastic.csv)
    "scenario": ("情景", "Scenario"), "paths": ("规划所用路径数", "Paths planned on"),
    "eval_paths": ("检验路径数", "Fresh paths judged on"), "commit_years": ("本次决策年数", "Years decided now"),
    "hires_committed": ("决策年份招聘（人）", "Hires in the years decided now (persons)"),
    "post_years_committed": ("决策年份编制（个·年）", "Post-years in the years decided now"),
    "shortfall_committed": ("决策年份期望缺编（人·年）", "Expected shortfall, years decided now (FTE-years)"),
    "shortfall_committed_q90": ("决策年份缺编90%分位（人·年）", "Shortfall in the years decided now, 90th pct (FTE-years)"),
    "p_exceed_worst": ("超过警戒线的最大概率（学段·年）", "Highest chance above the threshold (stage-year)"),
    "cost_se": ("目标值的标准误（元当量）", "Its standard error (yuan-equivalent)"),
    "cash": ("期望现金成本（元）", "Expected cash cost (yuan)"), "cash_se": ("现金成本的标准误（元）", "Its standard error (yuan)"),
    "vss_yuan": ("稳健方案的价值 VSS（元当量，非现金）", "Value of the stochastic solution, VSS (yuan-equivalent, not cash)"),
    "vss_se_yuan": ("VSS 的标准误（元当量）", "VSS standard error (yuan-equivalent)"),
    "evpi_yuan": ("完全信息的价值 EVPI（元当量，非现金）", "Value of perfect information, EVPI (yuan-equivalent, not cash)"),
    "evpi_se_yuan": ("EVPI 的标准误（元当量）", "EVPI standard error (yuan-equivalent)"),
    "district": ("区县", "District"), "link": ("全市约束", "City row"),
    "capacity": ("全市总量（人、个或元）", "City amount (persons, posts or yuan)"),
    "used": ("各区分配合计（人、个或元）", "Allocated to the districts (persons, posts or yuan)"),
    "price": ("影子价格（元当量，非现金）", "Price (yuan-equivalent, not cash)"), "unit": ("单位", "Unit"),
    "allocation": ("分得全市编制（个）", "Share of the city total (posts)"),
}


#: results.xlsx's last sheet when a table is left to its CSV (``scenarios.excel.workbook_sheets``):
#: (sheet name, headings of table, rows and note, the note by reason)
LEFT_OUT = {"zh": ("未收录的表", "表", "行数", "说明",
                   {"rows": "超过 Excel 工作表的 {rows:,} 行，见 {name}.csv",
                    "cells": "工作簿至多收录 {cells:,} 个单元格，较大的表见 {name}.csv"}),
            "en": ("tables not here", "table", "rows", "note",
                   {"rows": "more than an Excel sheet's {rows:,} rows: see {name}.csv",
                    "cells": "a workbook holds at most {cells:,} cells, the largest tables are left out: see {name}.csv"})}


def column_headers(lang: str) -> dict[str, str]:
    """Column name -> heading in ``lang`` ('zh' or 'en')."""
    i = 0 if lang == "zh" else 1
    return {col: words[i] for col, words in COLUMNS.items()}


def stage_label(stage: str, lang: str) -> str:
    return STAGE_ZH[stage] if lang == "zh" else STAGE_EN[stage]


def subject_label(subject: str, lang: str) -> str:
    return SUBJECT_ZH.get(subject, subject) if lang == "zh" else SUBJECT_EN.get(subject, subject)


def certificate_label(cert: str, lang: str) -> str:
    return CERT_ZH[cert] if lang == "zh" else CERT_EN[cert]


#: the assumptions page in Chinese: each setting's meaning and unit (the English
#: text is the setting's own ``doc`` in its settings class; a key missing here
#: is shown with that)
SETTING_ZH = {
    "data.births": "出生人口（按片区、年份，人）", "data.enrolment": "在校生（按片区、年级、年份，人）",
    "data.roster": "基年在岗教师名册（人）", "data.posts": "基年各片区各学段编制（个）",
    "data.cap": "各片区各年编制总额（个）", "data.roster_previous": "基年前一年的教师名册（用于估计流失率）",
    "data.areas": "片区名称", "data.graduates": "各区县各年可招聘毕业生（人/年）",
    "data.base_year": "基年（名册与编制所在学年；在校生数据的最后一年）",
    "grades.preschool": "学前所含年级", "grades.primary": "小学所含年级", "grades.junior": "初中所含年级",
    "grades.senior": "高中所含年级", "grades.first_grade_age": "一年级入学年龄（岁）",
    "forecast.horizon": "预测年数（基年之后，年）", "forecast.estimator": "升级比平滑方法（均值/指数平滑/阻尼趋势）",
    "forecast.window": "均值法所用年数（年）", "forecast.alpha": "指数平滑权重（最新一年）",
    "forecast.paths": "蒙特卡洛路径数（预测区间）", "forecast.seed": "随机种子（同一种子结果相同）",
    "forecast.births_factor": "预测出生人口系数（不改实际值）",
    "forecast.births_variant": "预测出生人口取值（中位数/10%分位/90%分位）",
    "forecast.entry_spread": "最低年级中早一年出生的比例", "forecast.adjustments": "新建住宅或规划迁入增加的学生（人）",
    "demand.method": "教师需求测算方法（师生比/按班额与课时）", "demand.staff_ratio": "各学段师生比标准（学生数/教职工）",
    "demand.teacher_share": "教职工中专任教师比例", "demand.class_size": "各学段班额上限（人）",
    "demand.load": "各学段教师周课时（节/周）", "demand.kindergarten_teachers_per_class": "幼儿园每班教师数（人/班）",
    "demand.extra_lessons": "课程方案外增加的课时（节/周/班）", "demand.selection_groups": "高中走班选课增加的教学班（每班）",
    "supply.attrition_under_30": "30岁以下在编教师年流失率", "supply.attrition_30_39": "30–39岁年流失率",
    "supply.attrition_40_49": "40–49岁年流失率", "supply.attrition_50_plus": "50岁及以上年流失率（不含退休）",
    "supply.temporary_attrition": "临时代课人员年流失率", "supply.female_track": "女教师退休年龄档（55岁档/50岁档）",
    "supply.returner_rate": "流失后次年返岗比例",
    "plan.years": "规划年数（基年之后，年；未设置时为预测年数）",
    "plan.cap_change": "编制总额增减（自规划首年，按各片区总额比例分配，个）",
    "plan.freeze_cap": "各片区编制总额冻结在基年", "plan.salary": "在编教师工资及附加（元/人·年）",
    "plan.hire_cost": "招聘与入职培训成本（元/人）", "plan.certificate_premium": "每高一级教师资格的招聘成本加成（比例）",
    "plan.stage_move_cost": "跨学段调动成本（元/人）", "plan.region_move_cost": "跨片区交流成本（元/人）",
    "plan.temporary_cost": "临时代课成本（元/人·年）", "plan.shortfall_weight": "缺编惩罚权重（目标值，非现金，元当量/人·年）",
    "plan.surplus_weight": "超编惩罚权重（在工资之外，目标值，非现金，元当量/人·年）",
    "plan.elastic_weight": "突破硬约束的惩罚权重（仅在无可行方案时使用）",
    "plan.temporary_share_max": "临时代课占需求的上限（比例）", "plan.post_shift_share": "每年学段间编制调整上限（占总额比例）",
    "plan.new_hire_attrition": "新招聘教师年流失率", "plan.mentor_ratio": "每名有经验在编教师每年可带新教师数（导师带教）",
    "plan.graduate_supply": "全区每年可招聘毕业生，按资格（人/年）",
    "plan.region_move_share": "每年跨片区交流上限（占有经验教师比例）",
    "plan.budget": "年度预算：工资、招聘、调动与代课（元/年；未设置为不限）", "plan.integer": "招聘、调动、转岗与轮岗取整数（人；代课仍按全时当量）",
    "plan.time_limit": "求解时间上限（秒）", "plan.solver": "求解器（HiGHS/CBC）",
    "plan.hiring_certificates": "招聘的教师资格（任意有效/本学段/更高学段）",
    "plan.key_share_floor": "各片区骨干教师占有经验在编教师比例下限（通过交流满足；未设置为无）",
    "plan.stochastic": "同时做稳健方案：编制与招聘在多条在校生预测路径上都站得住，并在新的路径上与按点预测的方案比较",
    "plan.paths": "稳健方案所用的预测路径数（取自在校生预测的路径）", "plan.commit_years": "本次决策的年数（预算期；之后各年为暂定）",
    "plan.seed": "稳健方案抽取与检验路径的随机种子", "plan.eval_paths": "检验两个方案所用的新预测路径数（另一随机种子）",
    "plan.evpi_paths": "其中按完全预知重新规划的路径数（估计完全信息的价值；0 为不估计）",
    "plan.shortfall_threshold": "规划人员设定的警戒线：某学段某年缺编超过此数的概率（人）",
    "plan.temporary_quality_weight": "临时代课质量权重（目标值，非现金，元当量/人·年）",
    "plan.mentor_after_years": "新招聘教师满几年可计为有经验教师（年）",
    "plan.rotation_years": "片区间交流教师几年后回原片区（年；未设置：交流为永久调动）",
    "plan.rotation_intake_share": "每年交流调入上限（占该片区有经验教师比例）",
    "plan.stage_move_share": "每年学段间调出上限（占该学段在编教师比例）",
    "plan.pool_cap": "全区统一编制总额（区管校聘），不分片区",
    "plan.retraining": "学科转岗（学段、原学科、新学科、成本 元/人、每年上限比例）",
    "plan.integer_gap": "整数方案的可接受差距（占可变目标值比例）",
    "city.graduate_supply": "全市各区共享的每年可招聘毕业生，按资格（人/年；未设置：各区自有）",
    "city.cap_total": "全市编制总额（每个规划年，由方案在各区间分配，个；未设置：各片区自有总额）",
    "city.budget": "全市年度预算：各区工资、招聘、调动与代课合计（元/年；未设置为不限）",
    "city.method": "全市求解方法（分解：各区分别求解并精确协调；整体：全市一个模型，适用于小城市）",
    "city.tolerance": "分解法上下界的相对差距（占目标值比例）",
}
