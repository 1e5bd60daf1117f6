"""Reference data of the seed: the 21 Guangdong prefecture cities, skill levels, sample occupations,
demo training institutions and the default subsidy standards (R22)."""
from __future__ import annotations

from decimal import Decimal

CITIES = [
    ("4401", "广州市"), ("4402", "韶关市"), ("4403", "深圳市"), ("4404", "珠海市"), ("4405", "汕头市"),
    ("4406", "佛山市"), ("4407", "江门市"), ("4408", "湛江市"), ("4409", "茂名市"), ("4412", "肇庆市"),
    ("4413", "惠州市"), ("4414", "梅州市"), ("4415", "汕尾市"), ("4416", "河源市"), ("4417", "阳江市"),
    ("4418", "清远市"), ("4419", "东莞市"), ("4420", "中山市"), ("4451", "潮州市"), ("4452", "揭阳市"),
    ("4453", "云浮市"),
]

SKILL_LEVELS = [
    (5, "五级/初级工"), (4, "四级/中级工"), (3, "三级/高级工"), (2, "二级/技师"), (1, "一级/高级技师"),
]

# A few samples only (is_sample=True); the administrator imports the full 国家职业分类大典 list.
SAMPLE_OCCUPATIONS = [
    ("6-18-01-01", "车工"),
    ("6-18-01-02", "铣工"),
    ("6-18-02-04", "焊工"),
    ("6-31-01-03", "电工"),
    ("4-03-02-01", "中式烹调师"),
    ("4-12-01-01", "汽车维修工"),
]

INSTITUTIONS = [
    ("广州示范技师学院（演示）", "4401"),
    ("深圳示范职业技术学校（演示）", "4403"),
    ("佛山示范技工学校（演示）", "4406"),
]

# (programme, type, skill level or None, yuan per person per year, advance share) — R22.
SUBSIDY_STANDARDS = [
    ("ENTERPRISE", "NEW_APPRENTICE", 4, Decimal("5500"), Decimal("0.40")),
    ("ENTERPRISE", "NEW_APPRENTICE", 3, Decimal("7000"), Decimal("0.40")),
    ("ENTERPRISE", "NEW_APPRENTICE", 2, Decimal("8500"), Decimal("0.40")),
    ("ENTERPRISE", "NEW_APPRENTICE", 1, Decimal("8500"), Decimal("0.40")),
    ("ENTERPRISE", "STUDENT", None, Decimal("5000"), Decimal("0.40")),
    ("ECOSYSTEM", "STUDENT", None, Decimal("5000"), Decimal("0.30")),
    ("ECOSYSTEM", "TECH_TRAINEE", None, Decimal("5000"), Decimal("0.30")),
]
