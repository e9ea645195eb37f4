"""Reads for the portal pages. Each function runs a fixed number of queries,
whatever the number of tasks, reports or units involved."""

import datetime as dt
from dataclasses import dataclass, field
from itertools import pairwise

from django.contrib.auth import get_user_model
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from departments.models import Unit
from indicators.models import Indicator, Plan

from .models import (
    Evidence,
    ExtensionRequest,
    ProgressReport,
    Review,
    Task,
    TaskQuerySet,
    history_model,
    site_timezone,
)
from .templatetags.portal import cn_date


class Show:
    """The filters of the task lists (the tabs)."""

    ALL = "all"
    DUE_THIS_MONTH = "due"
    OVERDUE = "overdue"
    NOT_REPORTED = "unreported"
    AWAITING_REVIEW = "review"

    LABELS = {
        DUE_THIS_MONTH: _("本月到期"),
        OVERDUE: _("已逾期"),
        NOT_REPORTED: _("本月未报送"),
        AWAITING_REVIEW: _("待核实"),
        ALL: _("全部"),
    }
    STAFF_TABS = [DUE_THIS_MONTH, OVERDUE, NOT_REPORTED, ALL]
    OVERVIEW_TABS = [AWAITING_REVIEW, OVERDUE, DUE_THIS_MONTH, NOT_REPORTED, ALL]


def _conditions(on: dt.date) -> dict[str, Q]:
    return {
        Show.ALL: Q(),
        Show.DUE_THIS_MONTH: TaskQuerySet.due_in_month_q(on),
        Show.OVERDUE: TaskQuerySet.overdue_q(on),
        Show.NOT_REPORTED: TaskQuerySet.not_reported_in_month_q(on),
        Show.AWAITING_REVIEW: Q(status=Task.Status.COMPLETED),
    }


def plans_with_tasks(tasks: QuerySet) -> list[Plan]:
    """The plans in which these tasks lie, newest first."""
    return list(Plan.objects.filter(pk__in=tasks.values("indicator__plan")).order_by("-year"))


def units_of(tasks: QuerySet) -> list[Unit]:
    """The units these tasks belong to, by name (全部任务's unit filter)."""
    return list(Unit.objects.filter(pk__in=tasks.values("unit")).order_by("name"))


def current_plan(plans: list[Plan], *, year: str | None, on: dt.date) -> Plan | None:
    """The plan asked for by year, else this year's, else the newest."""
    by_year = {str(plan.year): plan for plan in plans}
    return by_year.get(year or "") or by_year.get(str(on.year)) or (plans[0] if plans else None)


@dataclass
class TaskList:
    all_tasks: QuerySet  # before the tab and the search
    rows: QuerySet
    counts: dict[str, int]
    show: str
    search: str

    ORDER = ("due_date", "indicator__position", "unit__name")


def task_list(*, tasks: QuerySet, on: dt.date, show: str, search: str = "", tabs: list[str]) -> TaskList:
    """Active tasks with their indicator, unit and latest report, filtered by
    one tab and an optional search in the task text (and, where the list
    spans units, the unit's name and the indicator code)."""
    conditions = _conditions(on)
    show = show if show in tabs else Show.ALL
    tasks = all_tasks = tasks.active()
    search = search.strip()[:100]
    if search:
        tasks = tasks.filter(
            Q(indicator__task_text__icontains=search)
            | Q(indicator__category__icontains=search)
            | Q(indicator__code=search)
            | Q(unit__name__icontains=search)
        )
    counts = tasks.aggregate(**{tab: Count("pk", filter=conditions[tab]) for tab in tabs})
    rows = (
        tasks.filter(conditions[show])
        .select_related("indicator", "unit")
        .with_latest_report()
        .order_by(*TaskList.ORDER)
    )
    return TaskList(all_tasks=all_tasks, rows=rows, counts=counts, show=show, search=search)


def returned_tasks(listing: TaskList) -> list[Task]:
    """Returned tasks with the reason, for the notice on the staff home, in
    the list's order: read off its rows when they are every active task (the
    全部 tab without a search, as the page opens: the rows' query with its
    latest-report subqueries is not run twice), else one query."""
    if listing.show == Show.ALL and not listing.search:
        return [task for task in listing.rows if task.status == Task.Status.RETURNED]
    return list(
        listing.all_tasks.filter(status=Task.Status.RETURNED)
        .select_related("indicator", "unit")
        .with_latest_report()
        .order_by(*TaskList.ORDER)
    )


def task_peers(task: Task) -> list[Task]:
    """The other units' tasks on the same indicator, lead units first, each
    with its latest report's id (task_reports reads the reports)."""
    latest = ProgressReport.objects.filter(task=OuterRef("pk")).order_by("-created_at", "-pk")
    return list(
        Task.objects.active()
        .filter(indicator_id=task.indicator_id)
        .exclude(pk=task.pk)
        .select_related("unit")
        .annotate(latest_report_id=Subquery(latest.values("pk")[:1]))
        .order_by("role", "unit__name")
    )


def task_reports(task: Task, peers: list[Task]) -> list[ProgressReport]:
    """The task's reports (its timeline's) and its peers' latest (牵头汇总's)
    with their authors and files, in one query and its files': each peer
    gets `latest_report`, and latest_percent and latest_reported_at as
    with_latest_report gives them (the peers' list), instead of three
    subqueries a peer and two queries more. Returns the task's own."""
    latest_ids = [peer.latest_report_id for peer in peers if peer.latest_report_id]
    own, latest = [], {}
    for report in (
        ProgressReport.objects.filter(Q(task=task) | Q(pk__in=latest_ids))
        .select_related("author")
        .prefetch_related(REPORT_FILES)
    ):
        if report.task_id == task.pk:
            own.append(report)
        else:
            latest[report.pk] = report
    for peer in peers:
        peer.latest_report = latest.get(peer.latest_report_id)
        peer.latest_percent = peer.latest_report and peer.latest_report.percent
        peer.latest_reported_at = peer.latest_report and peer.latest_report.created_at
    return own


@dataclass
class UnitReport:
    """One unit's part of an indicator: its task, its latest report (with
    the evidence files) and whether it has reported this month."""

    task: Task
    report: ProgressReport | None
    reported_this_month: bool


@dataclass
class Consolidation:
    rows: list[UnitReport]

    @property
    def unreported(self) -> list[UnitReport]:
        """本月未报送: open tasks without a report since the first of the month."""
        return [row for row in self.rows if not row.reported_this_month]

    @property
    def never_reported(self) -> list[UnitReport]:
        return [row for row in self.rows if row.report is None]

    @property
    def evidence(self) -> list[tuple[Task, Evidence]]:
        return [(row.task, file) for row in self.rows if row.report for file in row.report.files]


# A report's files as a list, `report.files`: without a manager's queryset
# per report (5.0 -> 3.6 ms for the reports of a task reported on 77 times).
REPORT_FILES = Prefetch("evidence", queryset=Evidence.objects.order_by("pk"), to_attr="files")


def task_consolidation(
    task: Task, peers: list[Task], *, on: dt.date, with_own: bool, own_report: ProgressReport | None = None
) -> Consolidation:
    """牵头汇总: each unit's latest report on the indicator, for the lead
    unit's page (the partners) and the office's (the task's own row first,
    then the others), from the peers as task_reports leaves them: no
    query, whatever the number of units."""
    month_start = dt.datetime.combine(on.replace(day=1), dt.time.min, tzinfo=site_timezone())
    pairs = [(peer, peer.latest_report) for peer in peers]
    if with_own:
        pairs.append((task, own_report))
        pairs.sort(key=lambda pair: (pair[0].role, pair[0].unit.name))  # lead units first
    return Consolidation(
        rows=[
            UnitReport(
                task=peer,
                report=report,
                reported_this_month=peer.is_closed or bool(report and report.created_at >= month_start),
            )
            for peer, report in pairs
        ]
    )


@dataclass
class TimelineEntry:
    kind: str  # "report" or "review"
    at: dt.datetime
    item: ProgressReport | Review
    # A report's partners' files it quotes (牵头汇总), each with its unit.
    quoted: list[Evidence] = field(default_factory=list)


def task_timeline(task: Task, reports: list[ProgressReport]) -> list[TimelineEntry]:
    """Every progress report (`reports`, from task_reports) and review of
    the task, newest first.

    The files a report quotes are found through the link table first and
    read (with their units) only when there are any: most tasks' reports
    quote none (only a lead unit's can), and prefetching the relation cost
    3.3 ms a page for nothing; the links alone take 0.7."""
    links = list(
        ProgressReport.referenced_evidence.through.objects.filter(progressreport__task=task).values_list(
            "progressreport_id", "evidence_id"
        )
    )
    quoted: dict[int, list[Evidence]] = {}
    if links:
        files = Evidence.objects.select_related("report__task__unit").in_bulk([file for _r, file in links])
        for report_id, file in sorted(links, key=lambda link: link[1]):
            quoted.setdefault(report_id, []).append(files[file])
    reviews = Review.objects.filter(task=task).select_related("reviewer")
    entries = [TimelineEntry("report", r.created_at, r, quoted.get(r.pk, [])) for r in reports]
    entries += [TimelineEntry("review", r.created_at, r) for r in reviews]
    entries.sort(key=lambda entry: (entry.at, entry.item.pk), reverse=True)
    return entries


@dataclass
class Change:
    """One history entry: who changed what, when."""

    at: dt.datetime
    user: object
    subject: str
    action: str
    reason: str = ""
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (label, old, new)


TASK_FIELDS = ["status", "role", "due_date", "is_active"]
INDICATOR_FIELDS = ["code", "category", "task_text", "section", "deadline_label", "due_date", "ongoing"]


def _display(model, name: str, value) -> str:
    model_field = model._meta.get_field(name)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return str(_("是") if value else _("否"))
    if isinstance(value, dt.date):
        return cn_date(value)
    return "" if value is None else str(value)


def _changes(records: list[dict], model, names: list[str], subject: str) -> list[Change]:
    """Diff consecutive history records in Python: one query for all of them
    (simple_history's diff_against queries once per record)."""
    records = sorted(records, key=lambda r: r["history_id"])
    users: dict[int, object] = {}  # one User per author, not one per record
    out = []
    for previous, record in pairwise([None, *records]):
        change = Change(
            at=record["history_date"],
            user=_author(record, users),
            subject=subject,
            action=str({"+": _("创建"), "-": _("删除")}.get(record["history_type"], _("修改"))),
            reason=record["history_change_reason"] or "",
        )
        if previous is not None and record["history_type"] == "~":
            change.fields = [
                (
                    str(model._meta.get_field(name).verbose_name),
                    _display(model, name, previous[name]),
                    _display(model, name, record[name]),
                )
                for name in names
                if previous[name] != record[name]
            ]
            if not change.fields and not change.reason:
                continue  # a save that changed nothing shown here
        out.append(change)
    return out


AUTHOR_FIELDS = ("username", "first_name", "last_name")


def _author(record: dict, users: dict):
    """The record's author as a User with its name only (None: the system)."""
    pk = record["history_user"]
    if pk is not None and pk not in users:
        names = {name: record[f"history_user__{name}"] for name in AUTHOR_FIELDS}
        users[pk] = get_user_model()(pk=pk, **names)
    return users.get(pk)


def _records(model, names: list[str], **filters) -> list[dict]:
    """The history rows as dicts with only what _changes reads: the fields
    shown and the author's name, one User per author (a task reported on 77
    times: 1.8 ms as model instances with their users, 1.0 as dicts)."""
    return list(
        history_model(model)
        .objects.filter(**filters)
        .values(
            "history_id",
            "history_date",
            "history_type",
            "history_change_reason",
            "history_user",
            *(f"history_user__{name}" for name in AUTHOR_FIELDS),
            *names,
        )
    )


def task_changes(task: Task) -> list[Change]:
    """The audit trail of the task and of its indicator (django-simple-history),
    newest first: every status change, with who made it and why, and every
    change an import or an admin made to the indicator."""
    task_records = _records(Task, TASK_FIELDS, id=task.pk)
    indicator_records = _records(Indicator, INDICATOR_FIELDS, id=task.indicator_id)
    changes = _changes(task_records, Task, TASK_FIELDS, str(_("任务")))
    changes += _changes(indicator_records, Indicator, INDICATOR_FIELDS, str(_("指标")))
    changes.sort(key=lambda change: change.at, reverse=True)
    return changes


def task_extension_requests(task: Task) -> list[ExtensionRequest]:
    """Every 延期申请 of the task, newest first, with its files (two queries)."""
    return list(
        task.extension_requests.select_related("requested_by", "decided_by").prefetch_related("evidence")
    )


def task_origin(task: Task) -> Task | None:
    """For a task on an indicator carried over from last year: the same
    unit's task on the origin indicator, if it had one (the page links it)."""
    origin_id = task.indicator.carried_from_id
    if origin_id is None:
        return None
    return Task.objects.filter(indicator_id=origin_id, unit_id=task.unit_id).first()
