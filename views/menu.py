"""The one menu table (DESIGN §6): every navbar entry, who sees it, and where it sits on the home page.

A ``MenuEntry`` is one menu item: its ``name`` (the FAB menu name, i.e. the resource of its ``menu_access``
permission), label and icon, its ``Category`` (name, label, icon of the navbar dropdown), what it opens (a view
class for ``add_view``, an ``href`` for ``add_link``, or neither for the 账号管理 items FAB's security manager adds
itself: the table relabels those), the ``roles`` that see it, and its places in the home page's 事项办理 tree
(``HomePlace``: group, position, item title, link label, and for which of its roles).

Everything menu-shaped is derived from ``MENU``:

- ``register(appbuilder)``: ``add_view`` / ``add_link`` in table order (the navbar order), relabelling FAB's own
  security menu (app.py);
- ``menu_permissions(role)``: the role's ``[^(exact|names)$, ^menu_access$]`` — app.py adds it to the resource
  permissions of ``models/roles.py`` as ``FAB_ROLES``; no menu is granted by a wildcard;
- ``home_tree(role, visible, url_of)``: the 事项办理 groups of the home page (``views.ui.home``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Optional

from flask_babel import lazy_gettext as _l

from models.enums import Programme, RoleName
from views.ui.registry import (
    CityView,
    EnterpriseView,
    OccupationView,
    RecognitionView,
    SkillLevelView,
    SubsidyStandardView,
    TrainingInstitutionView,
    WorkdayOverrideView,
)
from views.ui.registry_imports import EnterpriseImportView, OccupationImportView, TrainingInstitutionImportView
from views.ui.accounts import AccountAdminView
from views.ui.attendance import AttendanceView
from views.ui.changes import ChangeReviewView
from views.ui.claim_review import ClaimReviewView
from views.ui.registration import RegistrationReviewView
from views.ui.jobs import DownloadsView
from views.ui.review import ReviewFilingView
from views.ui.statistics import StatisticsView
from views.ui.trainees import EcosystemTraineeQueryView, EnterpriseTraineeQueryView
from views.ui.tracking import TrackingView
from views.ui.venues import VenueView
from views.ui.workdays import WorkdayImportView

ENTERPRISE, REVIEWER, ADMIN = RoleName.ENTERPRISE, RoleName.REVIEWER, RoleName.ADMIN


@dataclass(frozen=True)
class Category:
    """A navbar dropdown."""

    name: str
    label: Any
    icon: str


@dataclass(frozen=True)
class HomePlace:
    """Where an entry appears on the home page: entries with the same group and position form one item (one
    button each, in table order)."""

    group: str  # a key of HOME_GROUPS
    position: int  # order of the item within its group
    item: Any  # the item's title
    link: Any = _l("立即办理")  # the button's label
    roles: tuple[str, ...] = ()  # only for these of the entry's roles (empty: all of them)


@dataclass(frozen=True)
class MenuEntry:
    """One menu item; ``view`` or ``href`` says what it opens (neither: an item FAB adds itself)."""

    name: str
    label: Any
    icon: Optional[str]
    category: Category
    roles: tuple[str, ...]
    view: Optional[type] = None
    href: Optional[str] = None
    home: tuple[HomePlace, ...] = ()


SECURITY = Category("Security", _l("账号管理"), "fa-cogs")  # added by FAB's security manager (views/security.py)
BASE_DATA = Category("BaseData", _l("基础数据"), "fa-database")
RECOGNITION = Category("RecognitionMaintenance", _l("生态链企业认定"), "fa-link")
CITY_ENTERPRISES = Category("CityEnterprises", _l("单位管理"), "fa-building")
ECOSYSTEM = Category("Ecosystem", _l("产教评技能生态链企业新型学徒制培训"), "fa-link")
ENTERPRISE_PROGRAMME = Category("Enterprise", _l("企业新型学徒制培训"), "fa-graduation-cap")
REVIEW = Category("Review", _l("审核管理"), "fa-gavel")
CHECK_IN = Category("CheckIn", _l("考勤管理"), "fa-clock-o")
SUBSIDY = Category("Subsidy", _l("企业新型学徒制培训补贴"), "fa-yen")
STATISTICS = Category("StatisticsMenu", _l("统计分析"), "fa-bar-chart")
DOWNLOADS = Category("Downloads", _l("我的下载"), "fa-download")

#: The groups of the home page's 事项办理 tree, in page order.
HOME_GROUPS: dict[str, Any] = {
    "ecosystem": _l("技能培训 · %(p)s", p=ECOSYSTEM.label),
    "enterprise": _l("技能培训 · %(p)s", p=ENTERPRISE_PROGRAMME.label),
    "subsidy": _l("职业补贴 · %(p)s", p=SUBSIDY.label),
    "review": _l("审核管理"),
    "admin": _l("基础数据与查询"),
}


def _programme(programme: str, category: Category, query_view: type, group: str) -> tuple[MenuEntry, ...]:
    """The menu of one training programme (both have the same items; the programme is a URL part)."""
    filing = _l("%(p)s备案申请", p=category.label)
    return (
        MenuEntry(f"{category.name}FilingApply", _l("备案申请"), "fa-edit", category, (ENTERPRISE,),
                  href=f"/filing/apply/{programme}", home=(HomePlace(group, 1, filing),)),
        MenuEntry(f"{category.name}FilingResults", _l("办理结果"), "fa-list", category, (ENTERPRISE,),
                  href=f"/filing/results/{programme}", home=(HomePlace(group, 1, filing, _l("办理结果")),)),
        MenuEntry(f"{category.name}TraineeQuery", _l("单位培训人员查询"), "fa-users", category, (ENTERPRISE,),
                  view=query_view, home=(HomePlace(group, 2, _l("单位培训人员查询")),)),
        MenuEntry(f"{category.name}Changes", _l("备案变更申请"), "fa-exchange", category, (ENTERPRISE,),
                  href=f"/changes/{programme}", home=(HomePlace(group, 3, _l("%(p)s备案变更申请", p=category.label)),)),
        # 培训情况跟踪: one screen (views/ui/tracking.py, added by the 审核管理 entry), the programme a URL part.
        MenuEntry(f"{category.name}Tracking", _l("培训情况跟踪"), "fa-line-chart", category, (ENTERPRISE,),
                  href=f"/tracking/{programme}",
                  home=(HomePlace(group, 4, _l("%(p)s情况跟踪", p=category.label)),)),
        # 培训场地维护: one list for both programmes (venues belong to the enterprise). FAB adds a view once: the
        # 产教评 entry adds the screen, the 企业新型学徒制 entry links to the same list.
        MenuEntry(f"{category.name}Venues", _l("培训场地维护"), "fa-map-marker", category, (ENTERPRISE,),
                  **({"view": VenueView} if category is ECOSYSTEM else {"href": "VenueView.list"}),
                  home=(HomePlace(group, 6, _l("培训场地维护")),)),
    )


def _admin_home(position: int, item: Any) -> tuple[HomePlace, ...]:
    return (HomePlace("admin", position, item),)


#: The menu, in navbar order (FAB's 账号管理 comes first: the security manager adds it before this table).
MENU: tuple[MenuEntry, ...] = (
    MenuEntry("List Users", _l("账号列表"), None, SECURITY, (ADMIN,)),
    MenuEntry("List Roles", _l("角色列表"), None, SECURITY, (ADMIN,)),
    # issue 14: the admin opens reviewer and enterprise accounts; a reviewer its city's enterprise accounts (one screen,
    # views/ui/accounts.py, scoped by actions/account_admin.py)
    MenuEntry("AccountOnboarding", _l("开通账号"), "fa-user-plus", SECURITY, (ADMIN,), view=AccountAdminView,
              home=_admin_home(9, _l("开通账号"))),
    MenuEntry("BaseDataCity", _l("地市"), "fa-map-marker", BASE_DATA, (ADMIN,), view=CityView,
              home=_admin_home(4, _l("地市"))),
    MenuEntry("BaseDataOccupation", _l("职业工种"), "fa-briefcase", BASE_DATA, (ADMIN,), view=OccupationView,
              home=_admin_home(5, _l("职业工种"))),
    MenuEntry("BaseDataOccupationImport", _l("导入职业工种"), "fa-upload", BASE_DATA, (ADMIN,),
              view=OccupationImportView, home=(HomePlace("admin", 5, _l("职业工种"), _l("导入大典")),)),
    MenuEntry("BaseDataSkillLevel", _l("技能等级"), "fa-signal", BASE_DATA, (ADMIN,), view=SkillLevelView),
    MenuEntry("BaseDataInstitution", _l("培训机构"), "fa-university", BASE_DATA, (ADMIN,),
              view=TrainingInstitutionView),
    MenuEntry("BaseDataInstitutionImport", _l("导入培训机构"), "fa-upload", BASE_DATA, (ADMIN,),
              view=TrainingInstitutionImportView),
    MenuEntry("BaseDataSubsidyStandard", _l("补贴标准"), "fa-yen", BASE_DATA, (ADMIN,), view=SubsidyStandardView,
              home=_admin_home(6, _l("补贴标准"))),
    MenuEntry("BaseDataWorkday", _l("工作日历"), "fa-calendar", BASE_DATA, (ADMIN,), view=WorkdayOverrideView,
              home=_admin_home(7, _l("工作日历"))),
    MenuEntry("BaseDataWorkdayImport", _l("导入全年工作日历"), "fa-upload", BASE_DATA, (ADMIN,), view=WorkdayImportView,
              home=(HomePlace("admin", 7, _l("工作日历"), _l("导入全年安排")),)),
    MenuEntry("BaseDataEnterprise", _l("单位信息"), "fa-building", BASE_DATA, (ADMIN,), view=EnterpriseView,
              home=_admin_home(3, _l("单位信息"))),
    # 导入单位 (issue 14): the admin under 基础数据; a city reviewer its own city's, under 单位管理 (same screen)
    MenuEntry("BaseDataEnterpriseImport", _l("导入单位"), "fa-upload", BASE_DATA, (ADMIN,), view=EnterpriseImportView,
              home=(HomePlace("admin", 3, _l("单位信息"), _l("导入单位")),)),
    # 企业账号 (issue 14): the reviewer's list of its city's enterprise accounts (the admin's 开通账号 screen)
    MenuEntry("EnterpriseAccounts", _l("企业账号"), "fa-users", CITY_ENTERPRISES, (REVIEWER,), href="AccountAdminView.list",
              home=(HomePlace("review", 7, _l("企业账号"), _l("账号管理")),)),
    MenuEntry("CityEnterpriseImport", _l("导入本市单位"), "fa-upload", CITY_ENTERPRISES, (REVIEWER,),
              href="EnterpriseImportView.upload", home=(HomePlace("review", 7, _l("企业账号"), _l("导入本市单位")),)),
    MenuEntry("RecognitionMaintenance", _l("生态链企业认定维护"), "fa-link", RECOGNITION, (REVIEWER, ADMIN),
              view=RecognitionView,
              home=(HomePlace("review", 2, _l("生态链企业认定维护"), roles=(REVIEWER,)),
                    HomePlace("admin", 2, _l("生态链企业认定维护"), roles=(ADMIN,)))),
    *_programme(Programme.ECOSYSTEM, ECOSYSTEM, EcosystemTraineeQueryView, "ecosystem"),
    *_programme(Programme.ENTERPRISE, ENTERPRISE_PROGRAMME, EnterpriseTraineeQueryView, "enterprise"),
    # 职业补贴 (manual §3.2.3): 补贴申请 (立即办理) and 办理结果, views/ui/claims.py (added by app.py)
    MenuEntry("SubsidyClaimApply", _l("补贴申请"), "fa-edit", SUBSIDY, (ENTERPRISE,), href="/claims/apply",
              home=(HomePlace("subsidy", 1, _l("企业新型学徒制培训补贴申请")),)),
    MenuEntry("SubsidyClaimResults", _l("办理结果"), "fa-list", SUBSIDY, (ENTERPRISE,), href="/claims/results",
              home=(HomePlace("subsidy", 2, _l("企业新型学徒制培训补贴查询服务"), _l("办理结果")),)),
    # 考勤设备 (R24): device keys, and the courses' 扫码签到 pages (the public /checkin page is on the same view)
    MenuEntry("CheckInDevices", _l("考勤设备"), "fa-tablet", CHECK_IN, (ENTERPRISE,), view=AttendanceView),
    MenuEntry("ReviewFilings", _l("备案审核"), "fa-check-square-o", REVIEW, (REVIEWER, ADMIN), view=ReviewFilingView,
              home=(HomePlace("review", 1, _l("备案审核"), roles=(REVIEWER,)),
                    HomePlace("admin", 1, _l("备案查询"), roles=(ADMIN,)))),
    MenuEntry("ReviewChanges", _l("变更审核"), "fa-exchange", REVIEW, (REVIEWER, ADMIN), view=ChangeReviewView,
              home=(HomePlace("review", 3, _l("变更审核"), roles=(REVIEWER,)),)),
    MenuEntry("ReviewTracking", _l("培训情况跟踪"), "fa-line-chart", REVIEW, (REVIEWER, ADMIN), view=TrackingView,
              home=(HomePlace("review", 4, _l("培训情况跟踪"), roles=(REVIEWER,)),)),
    # 补贴审核 (R23): the reviewer decides its city's claims; the admin reads every city's (views/ui/claim_review.py)
    MenuEntry("ReviewClaims", _l("补贴审核"), "fa-money", REVIEW, (REVIEWER, ADMIN), view=ClaimReviewView,
              home=(HomePlace("review", 5, _l("补贴审核"), roles=(REVIEWER,)),
                    HomePlace("admin", 8, _l("补贴查询"), roles=(ADMIN,)))),
    # 注册审核 (issue 14): the reviewer decides its city's self-registrations; the admin reads every city's
    MenuEntry("ReviewRegistrations", _l("注册审核"), "fa-id-card", REVIEW, (REVIEWER, ADMIN),
              view=RegistrationReviewView,
              home=(HomePlace("review", 6, _l("注册审核"), roles=(REVIEWER,)),
                    HomePlace("admin", 10, _l("注册查询"), roles=(ADMIN,)))),
    # 统计分析 (issue 14): the reviewer's city, the admin's province with a city filter (views/ui/statistics.py)
    MenuEntry("StatisticsDashboard", _l("统计报表"), "fa-bar-chart", STATISTICS, (REVIEWER, ADMIN),
              view=StatisticsView,
              home=(HomePlace("review", 8, _l("统计分析"), roles=(REVIEWER,)),
                    HomePlace("admin", 11, _l("统计分析"), roles=(ADMIN,)))),
    # 我的下载 (DESIGN §6, §9): files made by background jobs; every role exports, each sees only its own jobs
    MenuEntry("MyDownloads", _l("我的下载"), "fa-download", DOWNLOADS, (ENTERPRISE, REVIEWER, ADMIN),
              view=DownloadsView),
)


# ---------------------------------------------------------------------------------------------------------
# add_view / add_link
# ---------------------------------------------------------------------------------------------------------


def register(appbuilder) -> None:
    """Add the table's views and links to the navbar, in table order; relabel FAB's own items."""
    for entry in MENU:
        category = entry.category
        placement = dict(label=entry.label, icon=entry.icon or "", category=category.name,
                         category_label=category.label, category_icon=category.icon)
        if entry.view is not None:
            appbuilder.add_view(entry.view, entry.name, **placement)
        elif entry.href is not None:
            appbuilder.add_link(entry.name, href=entry.href, **placement)
        else:
            _relabel(appbuilder.menu, entry)


def _relabel(menu, entry: MenuEntry) -> None:
    """An item FAB's security manager added (账号管理): our label (and icon, when the table gives one)."""
    category = menu.find(entry.category.name)
    if category is None:
        return
    category.label, category.icon = entry.category.label, entry.category.icon
    for child in category.childs:
        if child.name == entry.name:
            child.label = entry.label
            child.icon = entry.icon or child.icon


def menu_item(menu, entry: MenuEntry):
    """The FAB ``MenuItem`` of an entry (looked up inside its category: a category may share an entry's name)."""
    category = menu.find(entry.category.name)
    return next(child for child in category.childs if child.name == entry.name)


# ---------------------------------------------------------------------------------------------------------
# The role matrix's menu part
# ---------------------------------------------------------------------------------------------------------


def menu_names(role: str) -> list[str]:
    """The menu names (categories and entries) ``role`` sees, in table order, each once."""
    names: list[str] = []
    for entry in MENU:
        if role in entry.roles:
            for name in (entry.category.name, entry.name):
                if name not in names:
                    names.append(name)
    return names


def menu_permissions(role: str) -> list[list[str]]:
    """``[[^(exact|names)$, ^menu_access$]]`` for ``role`` (empty when it sees no menu)."""
    names = menu_names(role)
    if not names:
        return []
    return [["^(" + "|".join(re.escape(name) for name in names) + ")$", r"^menu_access$"]]


def all_names() -> set[str]:
    """Every menu name of the table (entries and categories)."""
    return {entry.name for entry in MENU} | {entry.category.name for entry in MENU}


# ---------------------------------------------------------------------------------------------------------
# The home page's 事项办理 tree
# ---------------------------------------------------------------------------------------------------------


def home_tree(role: Optional[str], visible: Callable[[MenuEntry], bool],
              url_of: Callable[[MenuEntry], str]) -> list[dict]:
    """``[{"title", "items": [{"title", "links": [(label, url)]}]}]`` for ``role``: the entries placed on the home
    page for it that ``visible`` (the user's menu_access) lets through; empty groups and items are left out."""
    if role is None:
        return []
    items: dict[tuple[str, int], dict] = {}
    for entry in MENU:
        for place in entry.home:
            if role not in (place.roles or entry.roles) or not visible(entry):
                continue
            item = items.setdefault((place.group, place.position), {"title": place.item, "links": []})
            item["links"].append((place.link, url_of(entry)))
    tree = []
    for group, title in HOME_GROUPS.items():
        group_items = [items[key] for key in sorted(k for k in items if k[0] == group)]
        if group_items:
            tree.append({"title": title, "items": group_items})
    return tree
