"""The REST APIs of DESIGN §10 under ``/api/v1``, one module per resource family:

- ``filings``: ``filing`` (+ ``/<pk>/submit|withdraw|approve|return``, ``/<pk>/checklist``);
- ``children``: ``training_class``, ``teacher``, ``trainee`` (+ ``/<pk>/mark_lost``), ``course``;
- ``attachments``: ``attachment`` (+ ``/<pk>/content``);
- ``registry``: the lookup tables, ``enterprise``, ``ecosystem_recognition``;
- ``imports``: ``filing/<pk>/import/<kind>[/template]`` and ``trainee/export.xlsx`` (Excel in and out);
- ``registry_imports``: ``occupation|enterprise|training_institution/import[/template]`` (registry imports);
- ``claim_import``: ``subsidy_claim/<pk>/import/person[/template]`` (补贴申请的人员信息导入);
- ``documents``: ``filing/<pk>/form.pdf`` (打印备案表);
- ``audit``: ``audit_event`` (read-only);
- ``changes``: ``change_request`` (备案变更: 师资信息变更, the filed 开班信息变更);
- ``venues``: ``venue`` (培训场地);
- ``attendance``: ``attendance`` (考勤: device / enterprise uploads, scoped reads);
- ``claims``, ``claim_persons``: ``subsidy_claim`` (补贴申领, + ``/<pk>/submit|cancel|approve|return|prechecks``),
  ``subsidy_claim_person`` (+ ``/<pk>/decide``);
- ``claim_documents``: ``subsidy_claim/<pk>/form.pdf|roster.pdf|roster.xlsx`` (申请表, 花名册);
- ``statistics``: ``statistics/<name>`` (统计分析, the provincial data exchange);
- ``registration``: ``registration`` (企业注册: public POST; 注册审核 + ``/<pk>/approve|return``);
- ``accounts``: ``account`` (开通账号 / 企业账号, + ``/<pk>/deactivate|activate``);
- ``jobs``: ``job/<id>`` (+ ``/download``) and ``trainee/export`` (background jobs, 我的下载);
- ``common`` (the ``ContractApi`` base, body checks) and ``openapi`` (shared OpenAPI components).

``register(appbuilder)`` adds them all (``app.py``).
"""
from __future__ import annotations

from views.api import registry, registry_imports
from views.api.accounts import AccountApi
from views.api.attendance import AttendanceApi
from views.api.attachments import AttachmentApi
from views.api.audit import AuditEventApi
from views.api.changes import ChangeRequestApi
from views.api.claim_documents import ClaimDocumentsApi
from views.api.claim_import import ClaimPersonImportApi
from views.api.claim_persons import SubsidyClaimPersonApi
from views.api.claims import SubsidyClaimApi
from views.api.children import CourseApi, TeacherApi, TraineeApi, TrainingClassApi
from views.api.documents import FilingFormPdfApi
from views.api.filings import FilingApi
from views.api.imports import FilingImportApi, TraineeExportApi
from views.api.statistics import StatisticsApi
from views.api.registration import RegistrationApi
from views.api.jobs import ClaimRosterJobApi, JobApi, StatisticsExportJobApi, TraineeExportJobApi
from views.api.venues import VenueApi

APIS = (FilingApi, TrainingClassApi, TeacherApi, TraineeApi, CourseApi, AttachmentApi, *registry.APIS,
        *registry_imports.APIS,
        FilingImportApi, TraineeExportApi, FilingFormPdfApi, AuditEventApi, VenueApi, ChangeRequestApi,
        ClaimPersonImportApi,
        AttendanceApi, SubsidyClaimApi, SubsidyClaimPersonApi, ClaimDocumentsApi, StatisticsApi, RegistrationApi,
        AccountApi, JobApi, TraineeExportJobApi, ClaimRosterJobApi, StatisticsExportJobApi)


def register(appbuilder) -> None:
    """Add the REST APIs of this package to the app."""
    for api in APIS:
        appbuilder.add_api(api)
