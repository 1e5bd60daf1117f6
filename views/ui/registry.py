"""基础数据 (lookup tables), 单位 and 生态链企业认定维护 screens (DESIGN §6): scoped FAB ModelViews whose saves
and deletes go through ``actions.registry``. Their menu entries are in ``views/menu.py``; their REST APIs in
``views/api/registry.py``."""
from __future__ import annotations

from flask import redirect
from flask_appbuilder.actions import action
from flask_appbuilder.models.filters import BaseFilter
from flask_babel import lazy_gettext as _l
from wtforms.validators import DataRequired

from actions import registry
from models.enterprise import EcosystemRecognition, Enterprise
from models.enums import ApprenticeshipType, Programme, RecognitionRole
from models.lookups import City, Occupation, SkillLevel, SubsidyStandard, TrainingInstitution, WorkdayOverride
from models.scope import ScopeFilter, current_actor
from views.base import READ_WRITE_PERMISSIONS, ScopedModelView, interface
from views.glue import run_action
from views.widgets import blank_choice, code_select

COMMON_LABELS = {
    "code": _l("代码"),
    "name": _l("名称"),
    "city": _l("地市"),
    "city_code": _l("地市代码"),
    "sort_order": _l("排序"),
    "is_sample": _l("样例数据"),
    "work_types": _l("工种"),
    "active": _l("启用"),
    "level": _l("等级"),
    "uscc": _l("统一社会信用代码"),
    "address": _l("地址"),
    "contact_name": _l("联系人"),
    "contact_phone": _l("联系电话"),
    "programme": _l("培训项目"),
    "apprenticeship_type": _l("学徒制培训类型"),
    "skill_level": _l("技能等级"),
    "amount_yuan": _l("标准（元/人/年）"),
    "advance_ratio": _l("预拨比例"),
    "valid_from": _l("有效期起"),
    "valid_to": _l("有效期止"),
    "note": _l("备注"),
    "day": _l("日期"),
    "is_workday": _l("是否工作日"),
    "legal_representative": _l("法定代表人"),
    "bank_name": _l("基本存款账户开户银行"),
    "bank_account_name": _l("基本存款账户户名"),
    "bank_account_no": _l("基本存款账户账号"),
    "enterprise": _l("单位"),
    "chain_name": _l("生态链名称"),
    "role": _l("链主/链员"),
    "recorded_at": _l("录入时间"),
    "created_at": _l("创建时间"),
}


class OwnCityFilter(BaseFilter):
    """City dropdown: a reviewer may only choose its own city."""

    name = "own city"
    arg_name = "own_city"

    def apply(self, query, value):
        actor = current_actor()
        if actor.is_reviewer:
            return query.filter(City.code == actor.city_code)
        return query


class LookupView(ScopedModelView):
    save_action = registry.save_lookup
    delete_action = registry.delete_lookup
    label_columns = COMMON_LABELS


class CityView(LookupView):
    datamodel = interface(City)
    class_permission_name = "City"
    list_title = show_title = _l("地市")
    add_title = _l("新增地市")
    edit_title = _l("编辑地市")
    list_columns = ["code", "name", "sort_order"]
    add_columns = edit_columns = show_columns = ["code", "name", "sort_order"]
    search_columns = ["code", "name"]
    order_columns = ["code", "name", "sort_order"]
    base_order = ("sort_order", "asc")
    page_size = 25


class OccupationView(LookupView):
    datamodel = interface(Occupation)
    class_permission_name = "Occupation"
    list_title = show_title = _l("职业（工种）")
    add_title = _l("新增职业（工种）")
    edit_title = _l("编辑职业（工种）")
    list_columns = ["code", "name", "work_types", "is_sample", "active"]
    add_columns = edit_columns = show_columns = ["code", "name", "work_types", "is_sample", "active"]
    search_columns = ["code", "name", "work_types", "active"]
    base_order = ("code", "asc")
    description_columns = {"code": _l("国家职业分类大典编码，如 6-18-01-01"),
                           "work_types": _l("该职业下的工种，多个用“、”分隔；可在“导入职业工种”中按大典批量导入")}


class SkillLevelView(LookupView):
    datamodel = interface(SkillLevel)
    class_permission_name = "SkillLevel"
    list_title = show_title = _l("技能等级")
    add_title = _l("新增技能等级")
    edit_title = _l("编辑技能等级")
    list_columns = add_columns = edit_columns = show_columns = ["level", "name"]
    search_columns = ["name"]
    base_order = ("level", "desc")


class TrainingInstitutionView(LookupView):
    datamodel = interface(TrainingInstitution)
    class_permission_name = "TrainingInstitution"
    list_title = show_title = _l("培训机构")
    add_title = _l("新增培训机构")
    edit_title = _l("编辑培训机构")
    list_columns = ["name", "uscc", "city", "contact_name", "contact_phone", "active"]
    add_columns = edit_columns = show_columns = [
        "name", "uscc", "city", "address", "contact_name", "contact_phone", "active",
    ]
    search_columns = ["name", "uscc", "active"]
    base_order = ("name", "asc")


class SubsidyStandardView(LookupView):
    datamodel = interface(SubsidyStandard)
    class_permission_name = "SubsidyStandard"
    list_title = show_title = _l("补贴标准")
    add_title = _l("新增补贴标准")
    edit_title = _l("编辑补贴标准")
    list_columns = ["programme_label", "type_label", "level", "amount_yuan", "advance_ratio", "valid_from", "valid_to"]
    add_columns = edit_columns = [
        "programme", "apprenticeship_type", "level", "amount_yuan", "advance_ratio", "valid_from", "valid_to", "note",
    ]
    show_columns = list_columns + ["note"]
    search_columns = ["programme", "apprenticeship_type", "valid_from"]
    label_columns = {**COMMON_LABELS, "programme_label": _l("培训项目"), "type_label": _l("学徒制培训类型"),
                     "level": _l("技能等级（空=不分等级）")}
    add_form_extra_fields = edit_form_extra_fields = {
        "programme": code_select(_l("培训项目"), Programme),
        "apprenticeship_type": code_select(_l("学徒制培训类型"), ApprenticeshipType),
    }
    description_columns = {"advance_ratio": _l("预拨所占比例，如 0.4 表示 40%（R22）")}


class WorkdayOverrideView(LookupView):
    datamodel = interface(WorkdayOverride)
    class_permission_name = "WorkdayOverride"
    list_title = show_title = _l("工作日历调整")
    add_title = _l("新增工作日历调整")
    edit_title = _l("编辑工作日历调整")
    list_columns = add_columns = edit_columns = show_columns = ["day", "is_workday", "note"]
    search_columns = ["day", "is_workday", "note"]
    base_order = ("day", "desc")
    description_columns = {
        "day": _l("节假日安排未内置的年份（国务院每年约11月公布）在此逐日录入：放假日取消勾选，调休上班日勾选"),
    }


class EnterpriseView(ScopedModelView):
    datamodel = interface(Enterprise)
    class_permission_name = "Enterprise"
    save_action = registry.save_enterprise
    delete_action = registry.delete_enterprise
    list_title = show_title = _l("单位信息")
    add_title = _l("新增单位")
    edit_title = _l("编辑单位")
    label_columns = COMMON_LABELS
    list_columns = ["name", "uscc", "city", "contact_name", "contact_phone"]
    add_columns = edit_columns = [
        "uscc", "name", "city", "address", "legal_representative", "contact_name", "contact_phone",
        "bank_name", "bank_account_name", "bank_account_no",
    ]
    show_columns = add_columns + ["created_at"]
    search_columns = ["name", "uscc", "city", "contact_name"]
    base_order = ("id", "asc")
    validators_columns = {"city": [DataRequired(message=_l("请选择地市"))]}

    def _init_forms(self):
        """地市 starts on 请选择 and must be chosen: FAB preselected the first city (广州), saved unnoticed (issue 12)."""
        super()._init_forms()
        blank_choice(self.add_form, "city", required=True)
        blank_choice(self.edit_form, "city", required=True)


class RecognitionView(ScopedModelView):
    datamodel = interface(EcosystemRecognition)
    class_permission_name = "EcosystemRecognition"
    save_action = registry.save_recognition
    delete_action = registry.delete_recognition
    list_title = show_title = _l("产教评技能生态链企业认定")
    add_title = _l("新增生态链企业认定")
    edit_title = _l("编辑生态链企业认定")
    label_columns = {**COMMON_LABELS, "role_label": _l("链主/链员"), "enterprise.uscc": _l("统一社会信用代码")}
    list_columns = ["enterprise", "enterprise.uscc", "chain_name", "role_label", "city", "valid_from", "valid_to"]
    add_columns = edit_columns = ["enterprise", "chain_name", "role", "city", "valid_from", "valid_to", "note"]
    show_columns = ["enterprise", "chain_name", "role_label", "city", "valid_from", "valid_to", "note", "recorded_at"]
    search_columns = ["chain_name", "valid_from", "valid_to"]
    base_order = ("id", "desc")
    add_form_extra_fields = edit_form_extra_fields = {"role": code_select(_l("链主/链员"), RecognitionRole)}
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "enterprise": [["id", ScopeFilter, None]],
        "city": [["code", OwnCityFilter, None]],
    }
    description_columns = {"city": _l("认定所在地市；地市审核员只能维护本市的认定"),
                           "valid_to": _l("留空表示长期有效")}
    method_permission_name = {**READ_WRITE_PERMISSIONS, "delete_selected": "write"}

    @action("delete_selected", _l("删除所选"), _l("确定删除所选的认定记录吗？删除后不可恢复。"), "fa-trash",
            multiple=True, single=False)
    def delete_selected(self, items):
        rows = self.reload(items)  # row actions skip base_filters: re-load through the scope
        run_action(registry.delete_recognitions, current_actor(), rows,
                   success=_l("已删除 %(n)d 条认定记录", n=len(rows)))
        self.update_redirect()
        return redirect(self.get_redirect())

