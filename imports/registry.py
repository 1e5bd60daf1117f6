"""The registry import files (issue 14): 职业工种 (国家职业分类大典), 单位 and 培训机构 — their columns, data sheet names,
the kind rules of the 填写说明 sheet and the 下载模板 workbook (``imports.template.build_template``, with no filing).

Headers are the file format (fixed Chinese text); the reader matches them by name with the aliases below, so the
usual spellings of a 大典 table (编码 / 职业编码 / 细类（职业）, 名称 / 职业名称, 工种 / 工种名称) and of a registry list
(统一社会信用代码 / 信用代码, 所在地市 / 地市) are read. Validation and storing are ``actions.registry_imports``.

The 大典 layout: a table may also carry the category columns 大类 / 中类 / 小类 (documentary, not stored) and the
category rows themselves (a code of 1, 2 or 3 parts such as ``6``, ``6-18``, ``6-18-01``): those rows are skipped.
"""
from __future__ import annotations

from typing import Any, Optional

from sqlalchemy.orm import Session

from imports.specs import CHOICE, PHONE, TEXT, Choices, Column
from imports.template import build_template

KINDS = ("occupation", "enterprise", "training_institution")
#: The data sheet of each kind (the reader looks for it first) and the name of its import on screen and in files.
SHEETS = {"occupation": "职业工种", "enterprise": "单位信息", "training_institution": "培训机构"}

CITY_HELP = "从下拉列表选择，也可填写地市名称（广州市 / 广州）或代码（4401）"
YES_NO_HELP = "是 或 否；留空：新增的为“是”，已有的保持不变"

OCCUPATION_COLUMNS = [
    Column("major", "大类", TEXT, False, None, "大典的大类编码或名称（仅供对照，不导入）", "6", 10,
           ("大类编码", "大类名称")),
    Column("middle", "中类", TEXT, False, None, "大典的中类编码或名称（仅供对照，不导入）", "6-18", 10,
           ("中类编码", "中类名称")),
    Column("minor", "小类", TEXT, False, None, "大典的小类编码或名称（仅供对照，不导入）", "6-18-01", 12,
           ("小类编码", "小类名称")),
    Column("code", "职业编码", TEXT, True, None,
           "细类（职业）编码，格式 d-dd-dd-dd，如 6-18-01-01；第1位为大类 1-8。只有大类/中类/小类编码的分类行会被跳过",
           "6-18-01-01", 14, ("编码", "职业代码", "细类", "细类编码", "细类(职业)", "细类(职业)编码", "职业(细类)编码",
                              "代码")),
    Column("name", "职业名称", TEXT, True, None, "细类（职业）名称，最多128字", "车工", 24,
           ("名称", "职业", "细类名称", "细类(职业)名称")),
    Column("work_type", "工种", TEXT, False, None,
           "该职业下的工种名称，每行一个（同一职业有多个工种时逐行重复职业编码和名称）；没有工种留空", "", 20,
           ("工种名称", "工种(岗位)")),
]

ENTERPRISE_COLUMNS = [
    Column("uscc", "统一社会信用代码", TEXT, True, None, "18位统一社会信用代码（GB 32100）；已登记的单位按此代码更新",
           "91440101MA5XXXXXX1", 22, ("信用代码", "社会信用代码", "统一信用代码")),
    Column("name", "单位名称", TEXT, True, None, "营业执照上的单位全称，最多128字", "广州某某制造有限公司", 30,
           ("名称", "企业名称")),
    Column("city_code", "所在地市", CHOICE, True, "city", CITY_HELP, "广州市", 12, ("地市", "地市代码", "所属地市")),
    Column("address", "地址", TEXT, False, None, "单位地址，最多255字", "广州市黄埔区科学大道1号", 34,
           ("单位地址", "注册地址")),
    Column("legal_representative", "法定代表人", TEXT, False, None, "最多64字", "张三", 12, ("法人代表", "法人")),
    Column("contact_name", "联系人", TEXT, False, None, "最多64字", "李四", 12, ("联系人姓名",)),
    Column("contact_phone", "联系电话", PHONE, False, None, "手机号码或带区号的固定电话，如 020-12345678", "020-12345678",
           16, ("电话", "手机号码", "联系手机")),
]

#: Columns of the optional first account of an imported enterprise (``actions.account_admin.create_first_accounts``).
ACCOUNT_COLUMNS = [
    Column("account_username", "登录账号", TEXT, False, None,
           "选填：为该单位创建第一个企业用户账号（一次性密码在导入结果中显示）；已有账号的单位留空", "gzmake01", 16,
           ("账号", "用户名")),
    Column("account_email", "账号邮箱", TEXT, False, None, "选填：账号的电子邮箱（填写登录账号时必填）",
           "hr@example.com", 22, ("邮箱", "电子邮箱")),
]

INSTITUTION_COLUMNS = [
    Column("name", "机构名称", TEXT, True, None, "培训机构全称，最多128字；已登记的机构按名称更新", "广州某某技师学院", 30,
           ("名称", "培训机构", "培训机构名称")),
    Column("uscc", "统一社会信用代码", TEXT, False, None, "选填：18位统一社会信用代码（GB 32100）",
           "12440100MB2XXXXXX1", 22, ("信用代码", "社会信用代码")),
    Column("city_code", "所在地市", CHOICE, False, "city", CITY_HELP, "广州市", 12, ("地市", "地市代码", "所属地市")),
    Column("address", "地址", TEXT, False, None, "最多255字", "", 34, ("机构地址",)),
    Column("contact_name", "联系人", TEXT, False, None, "最多64字", "", 12, ("联系人姓名",)),
    Column("contact_phone", "联系电话", PHONE, False, None, "手机号码或带区号的固定电话", "", 16, ("电话", "手机号码")),
    Column("active", "启用", CHOICE, False, "yes_no", YES_NO_HELP, "是", 8, ("是否启用", "状态")),
]

RULES = {
    "occupation": [
        "按国家职业分类大典填写：每行一个细类（职业）编码及名称；一个职业有多个工种时，每个工种一行（职业编码和名称重复）。",
        "只有大类、中类、小类编码（如 6、6-18、6-18-01）的分类行会被跳过，可以直接使用大典的完整表格。",
        "系统中已有的职业编码：更新职业名称和工种；新的编码：新增。系统预置的样例职业在导入后被替换"
        "（文件中有的转为正式数据；没有的删除，已被培训信息使用的改为停用）。",
        "同一职业编码在文件中只能对应一个职业名称；同一职业的同一工种不能重复。",
    ],
    "enterprise": [
        "系统中已有的统一社会信用代码：更新本文件填写的各项（留空的单元格不修改原值）；新的代码：新增单位。",
        "同一统一社会信用代码在文件中只能出现一次。已登记单位的所在地市不能通过导入修改。",
        "地市审核员只能导入本市的单位：其他地市的行会被拒绝，整个文件不导入。",
    ],
    "training_institution": [
        "系统中已有的机构名称：更新本文件填写的各项（留空的单元格不修改原值）；新的名称：新增机构。",
        "同一机构名称、同一统一社会信用代码在文件中只能出现一次；统一社会信用代码不能与其他已登记机构相同。",
    ],
}


def columns(kind: str) -> list[Column]:
    """The template / reader columns of ``kind`` (单位: with the optional first account's columns)."""
    if kind == "occupation":
        return OCCUPATION_COLUMNS
    if kind == "enterprise":
        return ENTERPRISE_COLUMNS + ACCOUNT_COLUMNS
    if kind == "training_institution":
        return INSTITUTION_COLUMNS
    raise KeyError(kind)


def template_file_name(kind: str) -> str:
    return f"{SHEETS[kind]}导入模板.xlsx"


def template_bytes(session: Session, kind: str, cols: list[Column], *, max_rows: int, subtitle: str,
                   choices: Optional[dict[str, Choices]] = None) -> bytes:
    """下载模板 of a registry import: headers, dropdowns (地市, 启用), text-formatted code columns, 填写说明."""
    rules: list[Any] = list(RULES[kind])
    if any(c.key == "account_username" for c in cols):
        rules.append("填写“登录账号”的行在导入时同时为该单位创建第一个企业用户账号；账号名不能与已有账号重复。")
    return build_template(session, None, kind, cols, max_rows=max_rows, title=SHEETS[kind], subtitle=subtitle,
                          rules=rules, choices=choices)
