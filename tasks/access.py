"""Who may see and touch which task. Every portal view that reads or writes a
task goes through `get_task_for_user`, so the rule lives in one place:

- staff (a Membership) read and write their own units' tasks; any other
  task is a 404, whatever id is typed, so ids reveal nothing;
- 牵头汇总: staff of a unit that leads an indicator (an active lead task)
  also read the partners' tasks on that indicator — their reports and
  evidence — and write none of them (403). Partners do not read the lead's
  task nor each other's: the grant runs from lead to partners only;
- the reform office (跑改办 group) and superusers read every task and review;
- leaders (区领导 group) read every task and write nothing (403 on a write).

Role and unit lookups (departments.roles) are cached on the user object,
which lives for one request, so a page asks the database once however
often it checks."""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _

from departments.roles import is_leader, is_reform_office, unit_ids

from .models import Task


def reads_all(user) -> bool:
    return is_reform_office(user) or is_leader(user)


def can_report(user, task: Task) -> bool:
    """Staff of the task's unit file its progress reports."""
    return task.unit_id in unit_ids(user)


def can_review(user, task: Task) -> bool:
    return is_reform_office(user)


def led_indicators(user):
    """The indicators on which one of the user's units holds an active lead
    task (a subquery, so it adds no query of its own)."""
    return Task.objects.active().for_units(unit_ids(user)).filter(role=Task.Role.LEAD).values("indicator_id")


def visible_tasks(user):
    """Every task the user may read: their units' own, and the partners'
    tasks on indicators their units lead."""
    tasks = Task.objects.all()
    if reads_all(user):
        return tasks
    ids = unit_ids(user)
    if not ids:
        return tasks.none()
    return tasks.filter(Q(unit_id__in=ids) | Q(indicator_id__in=led_indicators(user)))


def can_read(user, task: Task) -> bool:
    """visible_tasks's rule for one task: the reform office and leaders read
    every task, staff their units' own, and the partners' tasks on an
    indicator one of their units leads (the one query, only then)."""
    if reads_all(user) or task.unit_id in unit_ids(user):
        return True
    return bool(unit_ids(user)) and led_indicators(user).filter(indicator_id=task.indicator_id).exists()


def leads(user, task: Task) -> bool:
    """The user reports this task as its indicator's lead unit: the page
    shows the partners' reports and the report form may quote them."""
    return task.role == Task.Role.LEAD and task.is_active and can_report(user, task)


def get_task_for_user(user, pk, *, write: bool = False) -> Task:
    """The task, if the user may read it (and, with write=True, change it in
    some way); 404 when it is outside the user's units, 403 when the user may
    read it but not write. The task is read by id and the rule checked on
    it (can_read): a staff member's own task, the usual case, needs no
    subquery (2.0-3.0 -> 1.0-1.6 ms of CPU measured at province scale)."""
    try:
        task = Task.objects.select_related("indicator__plan", "unit").get(pk=pk)
    except (Task.DoesNotExist, ValueError, TypeError):
        raise Http404(_("没有找到该任务。")) from None
    if not can_read(user, task):
        raise Http404(_("没有找到该任务。"))
    if write and not (can_report(user, task) or can_review(user, task)):
        raise PermissionDenied(_("您的账号只能查看，不能修改。"))
    return task


def get_evidence_for_user(user, evidence) -> Task:
    """The task of an evidence file (a report's or an extension request's),
    if the user may read the file; 404 otherwise (the same answer as for a
    file that does not exist)."""
    owner = evidence.extension if hasattr(evidence, "extension_id") else evidence.report
    return get_task_for_user(user, owner.task_id)
