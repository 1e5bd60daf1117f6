"""The state machines of DESIGN §4, one transition table per entity, in one module.

Each row is data (``actions.workflow.Transition``): from, action, to, role, guard, effect, inputs, and how the row
action appears (label, confirmation, icon, screens, multi-row). ``actions.workflow.run`` applies any row; views and
the REST API generate their buttons, FAB actions and ``POST /api/v1/<entity>/<pk>/<action>`` endpoints from these
tables. A new transition is a new row here plus its guard/effect functions in the workflow's rule module.

Filing: DRAFT —submit→ SUBMITTED —approve→ APPROVED; SUBMITTED —return→ RETURNED —submit→ SUBMITTED;
SUBMITTED —withdraw→ DRAFT; DRAFT|RETURNED —delete→ gone (audit kept). APPROVED → CANCELLED is not a user action:
it happens when the last class of the filing is cancelled (注销培训班 acts on a class, R18).
Trainee: ACTIVE —mark_lost→ LOST (filing APPROVED, R12).
TrainingClass: NORMAL —change_dates→ NORMAL (R15, counted, filed as an APPLIED change request).
Course: UNCONFIGURED|CONFIGURED —configure→ CONFIGURED (R16).
ChangeRequest (TEACHER, R17): DRAFT —submit→ SUBMITTED —approve→ APPROVED | —return→ RETURNED —submit→ SUBMITTED;
DRAFT|RETURNED —delete→ gone. CLASS_DATES requests are filed APPLIED by change_dates (no review).
SubsidyClaim (R20–R23): DRAFT|RETURNED —submit→ SUBMITTED —approve→ APPROVED | —return→ RETURNED;
SUBMITTED —cancel (取消申请)→ DRAFT; DRAFT|RETURNED —delete→ gone. Rules in actions/subsidies/.
EnterpriseRegistration (企业注册, issue 14): PENDING —approve→ APPROVED (account created, enterprise created or
linked) | —return(reason)→ RETURNED, by the city's reviewer. Rules in actions/registration.py.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from actions import changes, checklist, filings, registration, review
from actions.subsidies import claims, decisions
from actions.filings import FILING_EDITABLE
from actions.workflow import DATE, INT, TIME, Input, Transition, Workflow, register, workflow
from core.errors import TransitionNotAllowed
from models.enums import ChangeRequestStatus as CR
from models.enums import ClaimStatus as CS
from models.enums import FilingStatus as FS
from models.enums import ClassStatus, CourseStatus, RegistrationStatus, RoleName, TraineeStatus
from models.filing import ChangeRequest, Course, Filing, Trainee, TrainingClass
from models.registration import EnterpriseRegistration
from models.subsidy import SubsidyClaim

DELETED = None
ENTERPRISE, REVIEWER = RoleName.ENTERPRISE, RoleName.REVIEWER
OPINION = _l("审核意见")

FILING = register(Workflow("filing", Filing, (
    Transition("filing", "submit", (FS.DRAFT, FS.RETURNED), FS.SUBMITTED, ENTERPRISE, _l("提交审核"),
               confirm=_l("提交前系统将检查各页信息和材料是否齐全。确定提交审核吗？"), icon="fa-paper-plane",
               style="primary", guard=checklist.submit_guard,
               help=_l("提交审核清单须全部满足（R11，并复核 R3、R9）；未满足时答 422，响应体另附 checklist。"), stamps=("submitted_at",), screens=("filing",),
               success=_l("备案申请已提交审核，请等待地市人社部门审核")),
    Transition("filing", "withdraw", (FS.SUBMITTED,), FS.DRAFT, ENTERPRISE, _l("撤回"),
               confirm=_l("确定撤回该备案申请吗？撤回后状态变为“未提交”，可修改后重新提交审核。"), icon="fa-undo", style="warning",
               screens=("filing",), success=_l("备案申请已撤回，可修改后重新提交审核")),
    Transition("filing", "delete", (FS.DRAFT, FS.RETURNED), DELETED, ENTERPRISE, _l("删除"),
               confirm=_l("确定删除该备案申请吗？删除后不可恢复。"), icon="fa-trash", style="danger",
               effect=filings.delete_effect, screens=("filing", "results"), multi=True,
               success=_l("备案申请已删除")),
    Transition("filing", "approve", (FS.SUBMITTED,), FS.APPROVED, REVIEWER, _l("审核通过"),
               confirm=_l("审核通过后将生成备案编号，且不能撤销。确定通过该备案吗？"), icon="fa-check", style="success",
               inputs=(Input("opinion", OPINION),), guard=review.approve_guard, effect=review.approve_effect,
               help=_l("分配备案编号（如 XT4401-2026-000123，按地市和年度连续编号，R13），并复核 R9。"),
               stamps=("approved_at",), reason_input="opinion", screens=("review",),
               loader=review.lock_for_decision, success=_l("已审核通过，备案编号：%(filing_no)s")),
    Transition("filing", "return", (FS.SUBMITTED,), FS.RETURNED, REVIEWER, _l("退回"),
               confirm=_l("退回后企业可修改并重新提交，审核意见将告知企业。确定退回该备案吗？"), icon="fa-reply", style="warning",
               inputs=(Input("opinion", OPINION, required=True),), effect=review.return_effect,
               help=_l("审核意见必填（R14），企业可修改后重新提交。"),
               reason_input="opinion", screens=("review",), loader=review.lock_for_decision,
               success=_l("已退回，审核意见已告知企业")),
    # R18: the filing is closed by itself when its last class is cancelled (the class row's effect runs this).
    Transition("filing", "close", (FS.APPROVED,), FS.CANCELLED, ENTERPRISE, _l("注销备案"),
               confirm=_l("注销最后一个培训班时，备案随之注销。"), guard=changes.close_filing_guard, internal=True,
               screens=("none",)),
), status_codes=FS, forbidden={ENTERPRISE: _l("只有企业用户可以办理备案申请"), REVIEWER: _l("只有地市审核员可以审核备案")}))

TRAINEE = register(Workflow("trainee", Trainee, (
    Transition("trainee", "mark_lost", (TraineeStatus.ACTIVE,), TraineeStatus.LOST, ENTERPRISE, _l("标记为流失"),
               confirm=_l("流失人员不再计入在训人数，可参加其他备案。确定标记为流失吗？"), icon="fa-user-times",
               style="warning",
               inputs=(Input("lost_reason", _l("流失原因"), required=True, max_len=500, api_name="reason"),
                       Input("lost_date", _l("流失日期"), kind=DATE, required=True, default_today=True,
                             not_future=True)),
               guard=review.mark_lost_guard, effect=review.mark_lost_effect, reason_input="lost_reason",
               help=_l("仅限审核通过的备案；流失日期不能晚于今天，流失人员不再受 R9 限制。"),
               screens=("trainees",), success=_l("已将%(name)s标记为流失"), refused=_l("该人员已标记为流失")),
), status_codes=TraineeStatus, forbidden={ENTERPRISE: _l("只有企业用户可以标记流失人员")},
   parent_lock=review.lock_filing_of_trainee))

TRAINING_CLASS = register(Workflow("training_class", TrainingClass, (
    Transition("training_class", "change_dates", (ClassStatus.NORMAL,), ClassStatus.NORMAL, ENTERPRISE,
               _l("开班信息变更"), confirm=_l("每个培训班的开班日期最多变更3次，须在开班前第5个工作日前办理。确定变更吗？"),
               icon="fa-calendar", style="primary",
               inputs=(Input("start_date", _l("培训开始日期"), kind=DATE, required=True),
                       Input("end_date", _l("培训结束日期"), kind=DATE, required=True),
                       Input("reason", _l("变更原因"), max_len=500)),
               guard=changes.change_dates_guard, effect=changes.change_dates_effect, reason_input="reason",
               help=_l("立即生效并记为“已变更备案”的开班信息变更（R15）；最多3次，截止开班前第5个工作日。"),
               screens=("changes",), success=_l("开班信息已变更")),
    Transition("training_class", "cancel", (ClassStatus.NORMAL,), ClassStatus.CANCELLED, ENTERPRISE,
               _l("注销培训班"), confirm=_l("注销后，未开始的课程取消，学员不再计为在训（可参加其他备案）；注销最后一个培训班时备案随之注销。"
                                        "注销不可撤销，确定注销该培训班吗？"),
               icon="fa-ban", style="danger", inputs=(Input("reason", _l("注销原因"), required=True, max_len=500),),
               guard=changes.cancel_class_guard, effect=changes.cancel_class_effect, stamps=("cancelled_at",),
               reason_input="reason", screens=("tracking",),
               help=_l("注销原因必填（R18）；仅限审核通过的备案。"), success=_l("培训班已注销")),
), status_codes=ClassStatus, forbidden={ENTERPRISE: _l("只有企业用户可以办理备案变更")},
   parent_lock=changes.lock_filing_of_class))

COURSE = register(Workflow("course", Course, (
    Transition("course", "configure", (CourseStatus.UNCONFIGURED, CourseStatus.CONFIGURED), CourseStatus.CONFIGURED,
               ENTERPRISE, _l("课程信息配置"), confirm=_l("课程信息只能在培训日期前一天及以前配置。确定保存吗？"),
               icon="fa-cog", style="primary",
               inputs=(Input("start_date", _l("课程开始日期"), kind=DATE, required=True),
                       Input("end_date", _l("课程结束日期"), kind=DATE, required=True),
                       Input("start_time", _l("每日开始时间"), kind=TIME, required=True),
                       Input("end_time", _l("每日结束时间"), kind=TIME, required=True),
                       Input("venue_id", _l("培训场地"), kind=INT)),
               guard=changes.configure_guard, effect=changes.configure_effect,
               help=_l("培训日期须在培训班期间内，线下培训须选择本单位的培训场地（R16）；授课教师通过师资信息变更调整（R17）。"),
               screens=("courses",), success=_l("课程信息已配置")),
), status_codes=CourseStatus, forbidden={ENTERPRISE: _l("只有企业用户可以办理备案变更")},
   parent_lock=changes.lock_filing_of_course))

FILING_TRANSITIONS: dict[tuple[str, str], str | None] = FILING.pairs()

CHANGE_REQUEST = register(Workflow("change_request", ChangeRequest, (
    Transition("change_request", "submit", (CR.DRAFT, CR.RETURNED), CR.SUBMITTED, ENTERPRISE, _l("提交"),
               confirm=_l("提交后由地市人社部门审核，审核通过后变更生效。确定提交吗？"), icon="fa-paper-plane",
               style="primary", guard=changes.submit_change_guard, effect=changes.submit_change_effect,
               help=_l("须填写师资变更原因，并至少新增一名师资或变更一门课程的授课教师（R17）。"),
               screens=("change",), success=_l("师资变更申请已提交，请等待地市人社部门审核")),
    Transition("change_request", "approve", (CR.SUBMITTED,), CR.APPROVED, REVIEWER, _l("审核通过"),
               confirm=_l("审核通过后，新增师资生效、课程授课教师即时变更。确定通过吗？"), icon="fa-check",
               style="success", inputs=(Input("opinion", OPINION),), effect=changes.approve_change_effect,
               reason_input="opinion", loader=changes.lock_request_for_decision, screens=("change_review",),
               help=_l("全部变更项一并生效（R17）；任一项已失效则整体不生效。"), success=_l("变更申请已审核通过")),
    Transition("change_request", "return", (CR.SUBMITTED,), CR.RETURNED, REVIEWER, _l("退回"),
               confirm=_l("退回后企业可修改并重新提交，审核意见将告知企业。确定退回吗？"), icon="fa-reply",
               style="warning", inputs=(Input("opinion", OPINION, required=True),),
               effect=changes.return_change_effect, reason_input="opinion", loader=changes.lock_request_for_decision,
               screens=("change_review",), help=_l("审核意见必填（R14）。"), success=_l("变更申请已退回")),
    Transition("change_request", "delete", (CR.DRAFT, CR.RETURNED), DELETED, ENTERPRISE, _l("删除"),
               confirm=_l("删除该变更申请及其中新增的师资吗？删除后不可恢复。"), icon="fa-trash", style="danger",
               effect=changes.delete_change_effect, screens=("change",), success=_l("变更申请已删除")),
), status_codes=CR, forbidden={ENTERPRISE: _l("只有企业用户可以办理备案变更"),
                               REVIEWER: _l("只有地市审核员可以审核变更申请")}))
CHANGE_REQUEST_TRANSITIONS: dict[tuple[str, str], str | None] = CHANGE_REQUEST.pairs()

CLAIM = register(Workflow("subsidy_claim", SubsidyClaim, (
    Transition("subsidy_claim", "submit", (CS.DRAFT, CS.RETURNED), CS.SUBMITTED, ENTERPRISE, _l("提交审核"),
               confirm=_l("提交前系统将重新预审每位人员并计算补贴金额。确定提交审核吗？"), icon="fa-paper-plane",
               style="primary", guard=claims.submit_guard, effect=claims.submit_effect, stamps=("submitted_at",),
               help=_l("单位基本信息、人员预审（R21）和附件须全部满足；未满足时答 422 并逐人列出原因。同一人员同一阶段全省只能有一份已提交或已通过的申请。"),
               screens=("claim", "claim_results"), success=_l("补贴申请已提交审核，请等待地市人社部门审核")),
    Transition("subsidy_claim", "cancel", (CS.SUBMITTED,), CS.DRAFT, ENTERPRISE, _l("取消申请"),
               confirm=_l("取消后申请回到“未提交”状态，可修改后重新提交审核。确定取消申请吗？"), icon="fa-undo",
               style="warning", effect=claims.release_effect, screens=("claim", "claim_results"),
               help=_l("已提交待审核的申请可取消（R23），人员随之释放。"), success=_l("补贴申请已取消，可修改后重新提交")),
    Transition("subsidy_claim", "delete", (CS.DRAFT, CS.RETURNED), DELETED, ENTERPRISE, _l("删除"),
               confirm=_l("确定删除该补贴申请吗？人员信息和附件一并删除，不可恢复。"), icon="fa-trash", style="danger",
               effect=claims.delete_effect, screens=("claim", "claim_results"), multi=True,
               success=_l("补贴申请已删除")),
    Transition("subsidy_claim", "approve", (CS.SUBMITTED,), CS.APPROVED, REVIEWER, _l("审核通过"),
               confirm=_l("未逐人核定的人员按申请金额核定，核定总额为各人核定金额之和。确定审核通过吗？"), icon="fa-check",
               style="success", inputs=(Input("opinion", OPINION),), effect=decisions.approve_effect,
               stamps=("reviewed_at",), reason_input="opinion", loader=decisions.lock_claim_for_decision,
               screens=("claim_review",), help=_l("核定总额 = 各人核定金额之和（R23）。"),
               success=_l("补贴申请已审核通过")),
    Transition("subsidy_claim", "return", (CS.SUBMITTED,), CS.RETURNED, REVIEWER, _l("退回"),
               confirm=_l("退回后企业可修改并重新提交，审核意见将告知企业。确定退回吗？"), icon="fa-reply",
               style="warning", inputs=(Input("opinion", OPINION, required=True),), effect=decisions.return_effect,
               reason_input="opinion", loader=decisions.lock_claim_for_decision, screens=("claim_review",),
               help=_l("审核意见必填；人员随之释放（R21）。"), success=_l("补贴申请已退回，审核意见已告知企业")),
), status_codes=CS, forbidden={ENTERPRISE: _l("只有企业用户可以办理补贴申请"),
                               REVIEWER: _l("只有地市审核员可以审核补贴申请")}))
CLAIM_TRANSITIONS: dict[tuple[str, str], str | None] = CLAIM.pairs()

RS = RegistrationStatus
REGISTRATION = register(Workflow("registration", EnterpriseRegistration, (
    Transition("registration", "approve", (RS.PENDING,), RS.APPROVED, REVIEWER, _l("审核通过"),
               confirm=_l("审核通过后将开通该单位的企业用户账号（已有单位信息的予以关联，不覆盖已有信息）。确定通过吗？"),
               icon="fa-check", style="success", guard=registration.approve_guard,
               effect=registration.approve_effect, stamps=("reviewed_at",), screens=("registration_review",),
               help=_l("开通企业用户账号（启用，使用注册时设置的密码）；该统一社会信用代码已有单位但无账号的予以关联，"
                       "否则新建单位。审核时再次检查该代码、用户名和电子邮箱未被其他账号占用，否则答 422。"),
               success=_l("注册申请已审核通过，账号已开通"),
               refused=_l("该注册申请已审核，状态可能已变化，请刷新后重试")),
    Transition("registration", "return", (RS.PENDING,), RS.RETURNED, REVIEWER, _l("退回"),
               confirm=_l("退回后注册申请结束，企业可按退回原因修改后重新注册。确定退回吗？"), icon="fa-reply",
               style="warning", inputs=(Input("reason", _l("退回原因"), required=True, max_len=500),),
               effect=registration.return_effect, stamps=("reviewed_at",), reason_input="reason",
               screens=("registration_review",), help=_l("退回原因必填，注册人可在注册进度查询中看到。"),
               success=_l("注册申请已退回"), refused=_l("该注册申请已审核，状态可能已变化，请刷新后重试")),
), status_codes=RS, forbidden={REVIEWER: _l("只有该地市的审核员可以审核注册申请")}))

CLAIM_EDITABLE = frozenset({CS.DRAFT, CS.RETURNED})
__all__ = ["FILING_EDITABLE", "CLAIM_EDITABLE", "FILING", "TRAINEE", "FILING_TRANSITIONS", "allowed", "check",
           "workflow"]


def allowed(table: dict, status: str, action: str) -> bool:
    """Whether ``action`` may run from ``status`` (used by views to show only allowed buttons)."""
    return (status, action) in table


def check(table: dict, status: str, action: str) -> str | None:
    """The target status of ``action`` from ``status``.

    :raises TransitionNotAllowed: the pair is not in the table.
    """
    if (status, action) not in table:
        label = {t.action: t.label for t in FILING.transitions}.get(action, action)
        raise TransitionNotAllowed(_l("当前状态不允许%(action)s，状态可能已变化，请刷新后重试", action=label))
    return table[(status, action)]
