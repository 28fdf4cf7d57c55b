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
    "post_value": ("增加一个编制的目标值节约（元当量）", "Objective saved by one more post (yuan-equivalent)"),
    "region_from": ("调出片区", "From area"), "region_to": ("调入片区", "To area"),
    "stage_from": ("调出学段", "From stage"), "stage_to": ("调入学段", "To stage"),
    "teachers": ("教师（人）", "Teachers (persons)"), "plan": ("方案", "Plan"),
    "posts_used": ("编制使用（个）", "Posts used"), "cost": ("现金成本（元）", "Cash cost (yuan)"),
    "objective": ("目标值（元当量，含惩罚）", "Objective (yuan-equivalent, with penalties)"),
    "limit": ("约束", "Limit"), "where": ("位置", "Where"), "amount": ("超出量", "Amount"),
    "key_teachers": ("骨干教师（人）", "Key teachers (persons)"), "experienced": ("有经验在编（人）", "Experienced permanent (persons)"),
    "key_share": ("骨干占比", "Key share"), "floor": ("占比下限", "Floor"), "key_out": ("骨干调出（人）", "Key out (persons)"),
    "key_in": ("骨干调入（人）", "Key in (persons)"),
}


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
