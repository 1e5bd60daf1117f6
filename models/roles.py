"""The role matrix (DESIGN §2): the resource permissions of each role, declared in one place.

Each entry is ``[resource regex, permission regex]``. Resources are the ``class_permission_name`` of views and
REST APIs (one per entity); permissions are ``can_read`` / ``can_write`` plus named business permissions
(``can_review``). The ``menu_access`` entries are not here: they are exact menu names generated from the menu
table (``views/menu.py``), and ``app.py`` hands both together to FAB as builtin roles (``FAB_ROLES``). Builtin
roles are checked in memory, so no per-request permission queries (the public role included: nothing is public
through FAB's permissions, views/security.py ``is_item_public``). Row scope (which enterprise / city) is a separate
layer: models/scope.py. ``EnterpriseImport`` is 导入单位 (issue 14): the admin any city, a city reviewer its own
city (the rule is actions/registry_imports.py), while editing an enterprise stays the admin's (``Enterprise``).
``Job`` (我的下载, background jobs) is every role's: each user sees only its own.
"""
from __future__ import annotations

from models.enums import RoleName

LOOKUPS = "City|Occupation|SkillLevel|TrainingInstitution|SubsidyStandard|WorkdayOverride"
FILING_ENTITIES = (
    "Filing|TrainingClass|Teacher|Trainee|Course|Attachment|Venue|ChangeRequest|Attendance"
    "|SubsidyClaim|SubsidyClaimPerson"
)
SELF_SERVICE = r"^(ResetMyPasswordView|UserInfoEditView)$"
SECURITY_VIEWS = (
    r"^(AppUserDBModelView|AppRoleModelView|RoleModelView|UserStatsChartView|ResetPasswordView|PermissionModelView"
    r"|ViewMenuModelView|PermissionViewModelView|UserGroupModelView)$"
)


def _any(names: str) -> str:
    return rf"^({names})$"


#: role → its resource permissions (app.py adds each role's menu_access names from views/menu.py).
RESOURCE_PERMISSIONS: dict[str, list[list[str]]] = {
    RoleName.ENTERPRISE: [
        [_any(LOOKUPS), r"^can_read$"],
        [_any("Enterprise|EcosystemRecognition|AuditEvent"), r"^can_read$"],
        [_any(FILING_ENTITIES), r"^can_(read|write)$"],
        [_any("Job"), r"^can_(read|write)$"],
        [SELF_SERVICE, r"^can_this_form_(get|post)$"],
        [r"^AppUserDBModelView$", r"^can_(userinfo|resetmypassword|userinfoedit)$"],
    ],
    RoleName.REVIEWER: [
        [_any(LOOKUPS), r"^can_read$"],
        [_any("Enterprise|AuditEvent"), r"^can_read$"],
        [_any("EcosystemRecognition|EnterpriseImport"), r"^can_(read|write)$"],
        [_any(FILING_ENTITIES), r"^can_(read|review)$"],
        [_any("Statistics"), r"^can_read$"],  # 统计分析 of its city
        [_any("EnterpriseRegistration"), r"^can_(read|review)$"],  # 注册审核 (issue 14): its city's
        [r"^AccountAdmin$", r"^can_(read|write)$"],  # 企业账号: its city's enterprise accounts (issue 14)
        [_any("Job"), r"^can_(read|write)$"],
        [SELF_SERVICE, r"^can_this_form_(get|post)$"],
        [r"^AppUserDBModelView$", r"^can_(userinfo|resetmypassword|userinfoedit)$"],
    ],
    RoleName.ADMIN: [
        [_any(LOOKUPS + "|Enterprise|EnterpriseImport|EcosystemRecognition"), r"^can_(read|write)$"],
        [_any(FILING_ENTITIES + "|AuditEvent|Statistics|EnterpriseRegistration"), r"^can_read$"],
        [_any("Job"), r"^can_(read|write)$"],
        [SECURITY_VIEWS, r"^can_"],
        [r"^AccountAdmin$", r"^can_(read|write)$"],  # 开通账号: reviewer and enterprise accounts (issue 14)
        [r"^(SwaggerView|OpenApi)$", r"^can_(show|get)$"],
        [SELF_SERVICE, r"^can_this_form_(get|post)$"],
        [r"^AppUserDBModelView$", r"^can_(userinfo|resetmypassword|userinfoedit)$"],
    ],
}

ALL_ROLES = (RoleName.ENTERPRISE, RoleName.REVIEWER, RoleName.ADMIN)
