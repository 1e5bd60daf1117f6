"""The field spec of each filing entity (备案信息, 培训机构情况, 培训信息, 师资, 培训人员, 培训课程, 上传材料).

The single source of each field's label, type, required flag, limits, code set, help text and import column
(see ``actions.fields``). Cross-field rules (R4–R10) stay in ``actions.filings``; what a field *is* lives here.
Import headers, help lines, examples and aliases are the Excel file format: fixed Chinese text, not translated.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from actions.fields import CODE_T, DATE_T, FILE_T, ID_T, INT_T, PHONE_T, REF_T, TEXT_T, EntitySpec, FieldSpec
from imports.specs import Column
from models.enums import ApprenticeshipType as AT
from models.enums import AttachmentKind, CourseMode, Education, Gender, TeacherKind

NEW = AT.NEW_APPRENTICE
_ID_HELP = "18位居民身份证号码（含港澳台居民居住证），本列为文本格式，请勿改为数字"
_ID_ALIASES = ("身份证号", "公民身份号码", "证件号码")
_PHONE_ALIASES = ("手机号码", "手机号", "电话", "联系方式")


def _contract_date(name: str, part: str, example: str, new_help: str, other_help: str, new_hint=None) -> FieldSpec:
    """A trainee contract date: 劳动合同 (required, R10) for 企业新型学徒制, 学徒培训协议 (optional) otherwise."""
    labels = {"开始": (_l("劳动合同开始日期"), _l("学徒培训协议开始日期")),
              "结束": (_l("劳动合同结束日期"), _l("学徒培训协议结束日期"))}[part]
    return FieldSpec(
        name, labels[1], DATE_T, required=False, help=other_help, example=example, width=16,
        export_header=f"劳动合同/学徒培训协议{part}日期",
        aliases=("劳动合同" + part + "日期", f"合同{part}日期", f"协议{part}日期"),
        variants=((NEW, {"label": labels[0], "required": True, "help": new_help, "hint": new_hint,
                         "aliases": ("学徒培训协议" + part + "日期", f"合同{part}日期", f"协议{part}日期")}),),
    )


FILING_INFO = EntitySpec("filing_info", _l("备案信息"), (
    FieldSpec("contact_name", _l("联系人"), TEXT_T, required=True, max_len=64, in_import=False),
    FieldSpec("contact_phone", _l("联系电话"), PHONE_T, required=True, in_import=False,
              hint=_l("11位手机号码或带区号的固定电话，如 020-12345678")),
))

INSTITUTION = EntitySpec("institution", _l("培训机构情况"), (
    FieldSpec("institution_id", _l("合作培训机构名称"), REF_T, required=True, source="institution", in_import=False,
              hint=_l("不在列表中的机构请选择“其他培训机构”，并填写其他培训机构名称。")),
    FieldSpec("other_institution_name", _l("其他培训机构名称"), TEXT_T, max_len=128, in_import=False,
              hint=_l("合作培训机构选择“其他培训机构”时必填。")),
))

TRAINING_CLASS = EntitySpec("training_class", _l("培训信息"), (
    FieldSpec("occupation_code", _l("职业（工种）"), TEXT_T, required=True, max_len=16, source="occupation",
              help="从下拉列表选择，格式为“职业编码 名称”；也可只填国家职业分类大典编码", example="6-18-01-01 车工",
              width=28, aliases=("职业工种", "职业", "工种", "职业(工种)编码")),
    FieldSpec("skill_level", _l("培训等级"), INT_T, required=True, minimum=1, maximum=5, source="skill_level",
              help="从下拉列表选择", example="四级/中级工", aliases=("技能等级", "培训技能等级"),
              variants=((NEW, {"help": "从下拉列表选择；企业新型学徒制应为四级/中级工及以上",
                               "hint": _l("企业新型学徒制的培训等级应为四级/中级工及以上。")}),)),
    FieldSpec("start_date", _l("培训开始日期"), DATE_T, required=True,
              help="日期，如 2026-03-01（也可写 2026/3/1 或 2026年3月1日）", example="2026-03-01", width=14,
              aliases=("开班日期", "开始日期")),
    FieldSpec("end_date", _l("培训结束日期"), DATE_T, required=True, help="日期，不早于开始日期", example="2027-02-28",
              width=14, aliases=("结班日期", "结束日期"),
              variants=((NEW, {"help": "日期，不早于开始日期；企业新型学徒制培训期限1至2年（最长3年，超过2年须填写原因）",
                               "hint": _l("企业新型学徒制培训期限为1至2年，最长不超过3年。")}),)),
    FieldSpec("hours", _l("培训课时"), INT_T, required=True, minimum=1, maximum=10000, help="整数，1 至 10000",
              example="400", width=10, aliases=("课时", "总课时")),
    FieldSpec("planned_headcount", _l("计划培训人数"), INT_T, required=True, minimum=1, maximum=100000,
              help="整数，至少 1", example="30", width=12, aliases=("计划人数", "培训人数")),
    FieldSpec("extension_reason", _l("延长培训期限原因"), TEXT_T, max_len=500, help="培训期限超过2年时必填，最多500字",
              hint=_l("培训期限超过2年时必填。"),
              width=30, aliases=("延期原因",), required_note="期限超过2年时必填"),
), only_for=(("extension_reason", (NEW,)),))

TEACHER = EntitySpec("teacher", _l("培训师资信息"), (
    FieldSpec("name", _l("姓名"), TEXT_T, required=True, max_len=64, help="最多64字", example="陈导师", width=12,
              aliases=("导师姓名", "教师姓名")),
    FieldSpec("id_number", _l("身份证号码"), ID_T, required=True, help=_ID_HELP, example="440106198001010012",
              width=22, aliases=_ID_ALIASES, hint=_l("18位居民身份证号码（含港澳台居民居住证）")),
    FieldSpec("phone", _l("联系电话"), PHONE_T, required=True, help="11位手机号码或带区号的固定电话（如 020-12345678）",
              example="13900139000", aliases=_PHONE_ALIASES),
    FieldSpec("kind", _l("导师类型"), CODE_T, required=True, codes=TeacherKind, source="teacher_kind",
              help="从下拉列表选择：企业导师或院校导师", example="企业导师", width=12, aliases=("师资类型", "导师类别")),
    FieldSpec("title", _l("职称/技能等级"), TEXT_T, max_len=64, help="最多64字", example="高级技师",
              aliases=("职称", "技能等级"), placeholder=_l("如：高级技师、讲师")),
    FieldSpec("certificate_no", _l("证书编号"), TEXT_T, max_len=64, help="最多64字；本列为文本格式", width=20,
              aliases=("职业资格证书编号", "证书号")),
))

TRAINEE = EntitySpec("trainee", _l("培训人员信息"), (
    FieldSpec("name", _l("姓名"), TEXT_T, required=True, max_len=64, help="最多64字", example="张三", width=12,
              aliases=("学员姓名", "学徒姓名")),
    FieldSpec("id_number", _l("身份证号码"), ID_T, required=True, help=_ID_HELP + "；同一文件内不能重复",
              example="440106199503070011", width=22, aliases=_ID_ALIASES,
              hint=_l("性别和出生日期由身份证号码自动识别")),
    # R8: gender and birth date come from the ID number; an imported gender must agree with it.
    FieldSpec("gender", _l("性别"), CODE_T, codes=Gender, source="gender", derived=True,
              help="可不填（按身份证号码自动识别）；填写时须与身份证号码一致", example="男", width=8),
    FieldSpec("phone", _l("联系电话"), PHONE_T, required=True, help="11位手机号码或带区号的固定电话；本列为文本格式",
              example="13800138000", aliases=_PHONE_ALIASES),
    FieldSpec("education", _l("文化程度"), CODE_T, required=True, codes=Education, source="education",
              help="从下拉列表选择", example="中专/中职/技工学校", width=20, aliases=("学历",)),
    _contract_date("contract_start", "开始", "2026-01-01", "日期，如 2026-01-01", "日期，如 2026-01-01（可不填）"),
    _contract_date("contract_end", "结束", "2028-12-31", "日期，不早于开始日期；劳动合同期限应不少于1年",
                   "日期，不早于开始日期（可不填）", _l("企业新型学徒制培训人员的劳动合同期限应不少于1年。")),
    FieldSpec("hire_date", _l("入职日期"), DATE_T, help="日期（可不填）", example="2026-01-01", width=14,
              aliases=("入职时间",), variants=((NEW, {"required": True, "help": "日期"}),)),
))

COURSE = EntitySpec("course", _l("培训课程信息"), (
    FieldSpec("training_class_id", _l("培训班（职业工种）"), REF_T, required=True, source="class",
              help="从下拉列表选择本备案的培训信息；只有一个该职业的培训班时也可只填职业编码", example="6-18-01-01 车工",
              width=34, aliases=("培训班", "职业（工种）", "职业工种")),
    FieldSpec("name", _l("课程名称"), TEXT_T, required=True, max_len=128, help="最多128字", example="数控车削实训",
              width=24, aliases=("课程",)),
    FieldSpec("mode", _l("授课方式"), CODE_T, required=True, codes=CourseMode, source="course_mode",
              help="从下拉列表选择：线上培训或线下培训", example="线下培训", width=12, aliases=("培训方式",)),
    FieldSpec("hours", _l("课时"), INT_T, required=True, minimum=1, maximum=1000, help="整数，1 至 1000", example="40",
              width=8, aliases=("课程课时", "学时")),
    FieldSpec("teacher_id", _l("授课教师"), REF_T, source="teacher",
              help="从下拉列表选择本备案的培训师资，也可填写导师姓名或身份证号码；授课方式为线下培训时必填",
              example="陈导师", width=20, aliases=("授课老师", "导师", "教师"), required_note="线下培训必填",
              hint=_l("授课方式选择“线下培训”时，授课教师必填；教师须先在“培训师资信息”页录入。")),
))

ATTACHMENT = EntitySpec("attachment", _l("上传材料"), (
    FieldSpec("kind", _l("材料类型"), CODE_T, required=True, codes=AttachmentKind, in_import=False),
    FieldSpec("file", _l("文件"), FILE_T, required=True, in_import=False, in_export=False),
))

#: Every spec by entity name; the child kinds of a filing are the ones with an import.
SPECS: dict[str, EntitySpec] = {spec.name: spec for spec in (FILING_INFO, INSTITUTION, TRAINING_CLASS, TEACHER,
                                                              TRAINEE, COURSE, ATTACHMENT)}
CHILD_SPECS: dict[str, EntitySpec] = {k: SPECS[k] for k in ("training_class", "teacher", "trainee", "course")}


def import_columns(kind: str, apprenticeship_type: str) -> list[Column]:
    """The import template / reader columns of ``kind`` for a filing of ``apprenticeship_type``."""
    return CHILD_SPECS[kind].import_columns(apprenticeship_type)


# ---- 培训场地 (manual §3.2.1.6 / §3.2.2.6; rules in actions/venues.py) -------------------------------------

#: A decimal number (经度 / 纬度). ``actions.fields`` has no cleaner for it: ``actions.venues`` cleans these fields
#: (China's range, both or neither); the form macro shows them as text inputs.
DECIMAL_T = "decimal"

VENUE = EntitySpec("venue", _l("培训场地"), (
    FieldSpec("name", _l("场地名称"), TEXT_T, required=True, max_len=64, in_import=False,
              placeholder=_l("如：一号实训车间")),
    FieldSpec("address", _l("场地地址"), TEXT_T, required=True, max_len=200, in_import=False,
              hint=_l("可在右侧地图中搜索地址或点击地图选点，也可直接填写。")),
    FieldSpec("longitude", _l("经度"), DECIMAL_T, in_import=False, placeholder=_l("如 113.264385"),
              hint=_l("中国境内为 73.5 至 135.1；经度和纬度须同时填写或同时不填。")),
    FieldSpec("latitude", _l("纬度"), DECIMAL_T, in_import=False, placeholder=_l("如 23.129112"),
              hint=_l("中国境内为 3.8 至 53.6。")),
    FieldSpec("capacity", _l("可容纳人数"), INT_T, minimum=1, maximum=100000, in_import=False,
              hint=_l("整数，可不填。")),
    FieldSpec("note", _l("备注"), TEXT_T, max_len=500, in_import=False),
))


# ---- 补贴申领 (manual §3.2.3; rules in actions/subsidies/) ----------------------------------------------------

#: 单位基本信息 of a claim (R20): prefilled from the enterprise; the account name must equal the enterprise name and
#: the account number is digits only (``actions.subsidies.claims.clean_unit_info``).
CLAIM_UNIT = EntitySpec("subsidy_claim", _l("单位基本信息"), (
    FieldSpec("bank_name", _l("开户银行"), TEXT_T, required=True, max_len=128, in_import=False,
              placeholder=_l("如：中国工商银行广州分行"), hint=_l("单位基本存款账户的开户银行（含支行）。")),
    FieldSpec("bank_account_name", _l("账户名称"), TEXT_T, required=True, max_len=128, in_import=False,
              hint=_l("须与单位名称一致（单位基本存款账户）。")),
    FieldSpec("bank_account_no", _l("银行账号"), TEXT_T, required=True, max_len=40, in_import=False,
              placeholder=_l("仅数字，8 至 32 位"), hint=_l("单位基本存款账户账号，仅填数字（空格会被去掉）。")),
    FieldSpec("contact_name", _l("联系人"), TEXT_T, required=True, max_len=64, in_import=False),
    FieldSpec("contact_phone", _l("联系电话"), PHONE_T, required=True, in_import=False,
              hint=_l("手机号码或带区号的固定电话。")),
))

#: 人员信息 of a claim: who (by 身份证号码, matched to a trainee of the claim's filing) and, for 清算, the certificate.
CLAIM_PERSON = EntitySpec("subsidy_claim_person", _l("人员信息"), (
    FieldSpec("id_number", _l("身份证号码"), ID_T, required=True, help="须为本申请所属备案的培训人员；本列为文本格式",
              example="440106199001011234", width=22, in_export=True),
    FieldSpec("name", _l("姓名"), TEXT_T, max_len=64, help="可不填；填写时须与备案中的姓名一致", example="张三",
              width=12),
    FieldSpec("certificate_no", _l("证书编号"), TEXT_T, max_len=64, help="清算时必填：职业技能等级证书编号；本列为文本格式",
              width=24),
    FieldSpec("skill_level", _l("证书等级"), INT_T, minimum=1, maximum=5, source="skill_level",
              help="清算时必填：证书的技能等级，不低于培训目标等级", width=16),
))
