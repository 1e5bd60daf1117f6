"""The role matrix (DESIGN §2), declared in one place and handed to FAB as builtin roles (``FAB_ROLES``).

Each entry is ``[resource regex, permission regex]``. Resources are the ``class_permission_name`` of views and
REST APIs (one per entity); permissions are ``can_read`` / ``can_write`` plus named business permissions
(``can_review``) and ``menu_access`` on menu names. Builtin roles are checked in memory, so no per-request
permission queries. Row scope (which enterprise / city) is a separate layer: models/scope.py.
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


# Menu names (the ``name`` given to add_view / add_link; labels are translated separately).
ENTERPRISE_MENUS = r"^(Ecosystem\w*|Enterprise\w*|Subsidy\w*|Home)$"
REVIEWER_MENUS = r"^(Review\w*|RecognitionMaintenance|Home)$"
ADMIN_MENUS = r"^(BaseData\w*|Statistics\w*|Review|ReviewFilings|Security|List Users|List Roles|Home|RecognitionMaintenance)$"

FAB_ROLES: dict[str, list[list[str]]] = {
    RoleName.ENTERPRISE: [
        [_any(LOOKUPS), r"^can_read$"],
        [_any("Enterprise|EcosystemRecognition|AuditEvent"), r"^can_read$"],
        [_any(FILING_ENTITIES), r"^can_(read|write)$"],
        [ENTERPRISE_MENUS, r"^menu_access$"],
        [SELF_SERVICE, r"^can_this_form_(get|post)$"],
        [r"^AppUserDBModelView$", r"^can_(userinfo|resetmypassword|userinfoedit)$"],
    ],
    RoleName.REVIEWER: [
        [_any(LOOKUPS), r"^can_read$"],
        [_any("Enterprise|AuditEvent"), r"^can_read$"],
        [_any("EcosystemRecognition"), r"^can_(read|write)$"],
        [_any(FILING_ENTITIES), r"^can_(read|review)$"],
        [REVIEWER_MENUS, r"^menu_access$"],
        [SELF_SERVICE, r"^can_this_form_(get|post)$"],
        [r"^AppUserDBModelView$", r"^can_(userinfo|resetmypassword|userinfoedit)$"],
    ],
    RoleName.ADMIN: [
        [_any(LOOKUPS + "|Enterprise|EcosystemRecognition"), r"^can_(read|write)$"],
        [_any(FILING_ENTITIES + "|AuditEvent|Statistics"), r"^can_read$"],
        [SECURITY_VIEWS, r"^can_"],
        [r"^(SwaggerView|OpenApi)$", r"^can_(show|get)$"],
        [ADMIN_MENUS, r"^menu_access$"],
        [SELF_SERVICE, r"^can_this_form_(get|post)$"],
        [r"^AppUserDBModelView$", r"^can_(userinfo|resetmypassword|userinfoedit)$"],
    ],
}

ALL_ROLES = (RoleName.ENTERPRISE, RoleName.REVIEWER, RoleName.ADMIN)
