"""延期申请: a unit asks for a later due date, the reform office decides.
Writes on extension requests, each in a transaction (the reports and
reviews are tasks.services).

Approval moves the task's due date (and pins it against a later resync of
the plan: Task.extended_due_date), writes the task's history row with the
old and new date, and tells the apps above: the unit gets a notice with
the old and new date (task_changes), the reminders cancel the notices about
the old date at once (tasks_changed, "extended"), and the sweep plans new
ones from the new date."""

import datetime as dt
import logging
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import access, signals
from .models import ExtensionEvidence, ExtensionRequest, Task
from .templatetags.portal import cn_date
from .uploads import evidence_check, evidence_store

logger = logging.getLogger(__name__)

REASON_MAX = 2000


def _extension_reason(old: dt.date, new: dt.date) -> str:
    """The history's reason for an approved extension: data, so in the site's
    language (days included), whatever language the approver reads."""
    with translation.override(settings.LANGUAGE_CODE):
        return (_("批准延期：%(old)s → %(new)s") % {"old": cn_date(old), "new": cn_date(new)})[:100]


@transaction.atomic
def extension_request_create(
    *,
    task: Task,
    user,
    requested_due_date: dt.date,
    reason: str,
    files: Sequence[UploadedFile] = (),
    now: dt.datetime | None = None,
) -> ExtensionRequest:
    """The unit's staff ask for `requested_due_date`, with evidence `files`
    if they have any (checked like a report's, tasks.uploads). Refused for
    someone not staff of the task's unit, a verified, withdrawn or
    not-running task, a date not after the current due date, an empty
    reason, a file that is not acceptable, or while another request waits."""
    now = now or timezone.now()
    if not access.can_report(user, task):
        raise PermissionDenied(_("只有本单位联络员可以申请延期。"))
    task = Task.objects.select_for_update().select_related("indicator__plan").get(pk=task.pk)
    if task.is_closed:
        raise ValidationError(_("该任务已核实办结，不能申请延期。"), code="state")
    if not task.is_active or not task.indicator.plan.is_active:
        raise ValidationError(_("该任务已不在执行中的计划里，不能申请延期。"), code="state")
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("请填写延期理由。"), code="reason")
    if requested_due_date <= task.due_date:
        raise ValidationError(
            _("申请的日期应晚于现在的截止日期（%(date)s）。") % {"date": cn_date(task.due_date)},
            code="requested_due_date",
        )
    if task.extension_requests.filter(status=ExtensionRequest.Status.PENDING).exists():
        raise ValidationError(_("该任务已有一份延期申请在等待审批。"), code="state")
    if len(files) > settings.EVIDENCE_MAX_FILES:
        raise ValidationError(
            _("一次最多上传 %(count)d 个文件。") % {"count": settings.EVIDENCE_MAX_FILES}, code="files"
        )
    checked = [(upload, evidence_check(upload)) for upload in files]
    request = ExtensionRequest(
        task=task,
        requested_by=user,
        created_at=now,
        due_date_before=task.due_date,
        requested_due_date=requested_due_date,
        reason=reason[:REASON_MAX],
    )
    request._history_user, request._history_date = user, now
    request.save()
    stored = evidence_store(
        checked, lambda **row: ExtensionEvidence(extension=request, created_at=now, **row)
    )
    logger.info(
        "extension request %s on task %s by %s: to %s, %d file(s)",
        request.pk,
        task.pk,
        user.pk,
        requested_due_date,
        len(stored),
    )
    return request


@transaction.atomic
def extension_decide(
    *,
    extension: ExtensionRequest,
    user,
    approve: bool,
    due_date: dt.date | None = None,
    comment: str = "",
    now: dt.datetime | None = None,
) -> ExtensionRequest:
    """The reform office approves (to the date asked, or to `due_date`) or
    rejects (with a comment). Refused for anyone but the office, a request
    already decided, a task verified since, or an approved date not after the
    due date the request started from."""
    now = now or timezone.now()
    if not access.is_reform_office(user):
        raise PermissionDenied(_("只有跑改办可以审批延期申请。"))
    extension = ExtensionRequest.objects.select_for_update().get(pk=extension.pk)
    if extension.status != ExtensionRequest.Status.PENDING:
        raise ValidationError(_("该延期申请已经审批过了。"), code="state")
    task = Task.objects.select_for_update().get(pk=extension.task_id)
    comment = comment.strip()
    if not approve:
        if not comment:
            raise ValidationError(_("不批准时请填写审批意见。"), code="comment")
        _decide(extension, user=user, status=ExtensionRequest.Status.REJECTED, comment=comment, now=now)
        logger.info("extension request %s rejected by %s", extension.pk, user.pk)
        return extension
    if task.is_closed:
        raise ValidationError(_("该任务已核实办结，不能再延期。"), code="state")
    new_date = due_date or extension.requested_due_date
    if new_date <= extension.due_date_before:
        raise ValidationError(
            _("批准的日期应晚于原截止日期（%(date)s）。") % {"date": cn_date(extension.due_date_before)},
            code="due_date",
        )
    old_date = task.due_date
    Task.objects.filter(pk=task.pk).update(due_date=new_date, extended_due_date=new_date, updated_at=now)
    task.due_date, task.extended_due_date, task.updated_at = new_date, new_date, now
    Task.history.bulk_history_create(
        [task],
        update=True,
        default_user=user,
        default_change_reason=_extension_reason(old_date, new_date),
        default_date=now,
    )
    _decide(
        extension,
        user=user,
        status=ExtensionRequest.Status.APPROVED,
        comment=comment,
        now=now,
        approved_due_date=new_date,
    )
    signals.send_changes(
        changes=[
            signals.TaskChange(
                task_id=task.pk,
                unit_id=task.unit_id,
                due_date=new_date,
                why="extended",
                due_dates=(old_date, new_date),
            )
        ],
        now=now,
    )
    signals.send_on_commit(task_ids=[task.pk], why="extended")
    logger.info(
        "extension request %s approved by %s: task %s due %s → %s",
        extension.pk,
        user.pk,
        task.pk,
        old_date,
        new_date,
    )
    return extension


def _decide(extension, *, user, status, comment, now, approved_due_date=None) -> None:
    extension.status, extension.decided_by, extension.decided_at = status, user, now
    extension.comment, extension.approved_due_date = comment[:REASON_MAX], approved_due_date
    extension._history_user, extension._history_date = user, now
    extension.save()
