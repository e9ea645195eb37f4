from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .models import REPORT_STATUSES, Review, Task
from .selectors import Show
from .target_values import ReportedValue
from .templatetags.portal import cn_date, person
from .uploads import ALLOWED_EXTENSIONS, evidence_check

SEARCH_MAX_LENGTH = 100


class QueryForm(forms.Form):
    """Filters from a page's query string. A value that does not fit (a NUL
    byte, a date out of range, an unknown choice) is reported at its field
    and the default is used instead: a query string never breaks a page."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.ChoiceField):
                # Django's message repeats the value, which may be anything.
                field.error_messages["invalid_choice"] = gettext_lazy("没有这个选项，已按默认显示。")

    def value(self, name: str, default=None):
        if not self.is_valid() and name in self.errors:
            return default
        return self.cleaned_data.get(name) or default


class SearchField(forms.CharField):
    """A search box. CharField refuses NUL bytes, which PostgreSQL cannot
    compare with; Django's Chinese for that error is wrong, hence ours."""

    def __init__(self, **kwargs):
        super().__init__(
            label=gettext_lazy("搜索"),
            required=False,
            max_length=SEARCH_MAX_LENGTH,
            error_messages={
                "null_characters_not_allowed": gettext_lazy("搜索内容含有不可见的控制字符，请重新输入。")
            },
            **kwargs,
        )


class TaskListFilterForm(QueryForm):
    """The task lists' plan, tab and search (本单位任务, 全部任务)."""

    plan = forms.ChoiceField(label=gettext_lazy("年度"), required=False)
    show = forms.ChoiceField(label=gettext_lazy("筛选"), required=False)
    q = SearchField()

    def __init__(self, data, *, plans, tabs):
        super().__init__(data)
        self.fields["plan"].choices = [(str(plan.year), str(plan.year)) for plan in plans]
        self.fields["show"].choices = [(tab, Show.LABELS[tab]) for tab in tabs]


class AllTasksFilterForm(TaskListFilterForm):
    """全部任务's further filters: unit, role, status and month due."""

    unit = forms.TypedChoiceField(label=gettext_lazy("单位"), required=False, coerce=int, empty_value=None)
    role = forms.ChoiceField(label=gettext_lazy("角色"), required=False)
    status = forms.ChoiceField(label=gettext_lazy("状态"), required=False)
    due = forms.TypedChoiceField(label=gettext_lazy("截止月份"), required=False, coerce=int, empty_value=None)

    def __init__(self, data, *, plans, tabs, units):
        super().__init__(data, plans=plans, tabs=tabs)
        every = [("", gettext_lazy("全部"))]
        self.fields["unit"].choices = every + [(str(unit.pk), unit.name) for unit in units]
        self.fields["role"].choices = every + list(Task.Role.choices)
        self.fields["status"].choices = every + list(Task.Status.choices)
        self.fields["due"].choices = every + [(str(month), f"{month}月") for month in range(1, 13)]

    def selects(self):
        return [self[name] for name in ("unit", "role", "status", "due")]

    def narrow(self, tasks):
        """The tasks that pass the filters given (and valid)."""
        conditions = {
            "unit_id": self.value("unit"),
            "role": self.value("role"),
            "status": self.value("status"),
            "due_date__month": self.value("due"),
        }
        return tasks.filter(**{name: value for name, value in conditions.items() if value})


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


class VersionedForm(forms.Form):
    """Carries the task version the page was rendered with, so that a save
    from a stale page is caught (tasks.services.TaskConflict)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def rebase(self, version: int) -> None:
        """After a conflict: keep everything the user typed, but let the next
        submit go against the version they have now seen."""
        data = self.data.copy()
        data["version"] = str(version)
        self.data = data


class EvidenceIdsField(forms.TypedMultipleChoiceField):
    """Ids of partners' evidence files a lead's report references. The page
    offers the files of each partner's latest report; whether an id may be
    referenced is the service's rule (progress_report_create), which also
    holds for a file a partner replaced while the page was open."""

    def __init__(self, **kwargs):
        super().__init__(
            coerce=int,
            required=False,
            widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
            **kwargs,
        )

    def valid_value(self, value):
        value = str(value)
        return value.isascii() and value.isdigit() and len(value) < 19


class ProgressReportForm(VersionedForm):
    status = forms.ChoiceField(
        label=gettext_lazy("状态"),
        choices=[(s.value, s.label) for s in REPORT_STATUSES],
        widget=forms.RadioSelect,
    )
    percent = forms.IntegerField(
        label=gettext_lazy("完成进度（%）"),
        min_value=0,
        max_value=100,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1}),
    )
    progress = forms.CharField(
        label=gettext_lazy("进展情况"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    problems = forms.CharField(
        label=gettext_lazy("存在问题"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    next_steps = forms.CharField(
        label=gettext_lazy("下步计划"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    referenced_evidence = EvidenceIdsField(
        label=gettext_lazy("引用配合单位的佐证材料"),
        help_text=gettext_lazy("勾选的文件随本报送列出，仍保存在配合单位的报送中。"),
    )
    # 回应批示: offered (offer_instructions) only while the unit has an open
    # instruction on this task, its indicator or itself.
    instruction = forms.TypedChoiceField(
        label=gettext_lazy("回应批示"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=gettext_lazy("选择后，本次报送即作为本单位对该批示的回复。"),
    )
    files = MultipleFileField(
        label=gettext_lazy("佐证材料"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": ",".join(f".{ext}" for ext in ALLOWED_EXTENSIONS)}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.open_instructions = {}
        self.fields["files"].help_text = ngettext(
            "可选，可多选。PDF、Word、Excel 或 JPG/PNG 图片，每个不超过 %(limit)s，最多 %(count)d 个。",
            "可选，可多选。PDF、Word、Excel 或 JPG/PNG 图片，每个不超过 %(limit)s，最多 %(count)d 个。",
            settings.EVIDENCE_MAX_FILES,
        ) % {
            "limit": filesizeformat(settings.EVIDENCE_MAX_UPLOAD_BYTES),
            "count": settings.EVIDENCE_MAX_FILES,
        }

    def offer_instructions(self, instructions) -> None:
        """The open instructions this report may answer."""
        self.open_instructions = {i.pk: i for i in instructions}
        self.fields["instruction"].choices = [("", _("不回应批示"))] + [
            (i.pk, f"{person(i.author)}（{cn_date(i.created_at)}）：{_short(i.text)}") for i in instructions
        ]

    def chosen_instruction(self):
        return self.open_instructions.get(self.cleaned_data.get("instruction"))

    def offer_partner_evidence(self, pairs) -> None:
        """The lead's form lists its partners' files: (task, evidence) pairs."""
        self.fields["referenced_evidence"].choices = [
            (file.pk, f"{task.unit.name} · {file.original_name}") for task, file in pairs
        ]

    def offer_targets(self, targets, *, today) -> None:
        """A value, 截至 date and source for each confirmed target of the
        indicator; all optional (a report need not carry values)."""
        self.targets = list(targets)
        for target in self.targets:
            prefix = f"target_{target.pk}"
            self.fields[f"{prefix}_value"] = forms.DecimalField(
                label=f"{target.name}（{target.goal_display}）",
                required=False,
                max_digits=14,
                decimal_places=4,
                widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
            )
            self.fields[f"{prefix}_as_of"] = forms.DateField(
                label=gettext_lazy("截至"),
                required=False,
                initial=today,
                # ISO, as <input type="date"> takes it, whatever the locale's date format.
                widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
            )
            self.fields[f"{prefix}_source"] = forms.CharField(
                label=gettext_lazy("数据来源"), required=False, max_length=500
            )

    def target_rows(self):
        """(target, value field, 截至 field, source field) for the template."""
        return [
            (t, self[f"target_{t.pk}_value"], self[f"target_{t.pk}_as_of"], self[f"target_{t.pk}_source"])
            for t in getattr(self, "targets", [])
        ]

    def target_values(self) -> list[ReportedValue]:
        data = self.cleaned_data
        return [
            ReportedValue(
                target_id=t.pk,
                value=data[f"target_{t.pk}_value"],
                as_of=data[f"target_{t.pk}_as_of"],
                source=data.get(f"target_{t.pk}_source", ""),
            )
            for t in getattr(self, "targets", [])
            if data.get(f"target_{t.pk}_value") is not None
        ]

    def clean(self):
        """已完成 means 100 %: the page's script sets the percent when the
        status is chosen, and a browser without script gets the same here.
        A target's value needs its 截至 date."""
        data = super().clean()
        if data.get("status") == Task.Status.COMPLETED:
            data["percent"] = 100
            self.errors.pop("percent", None)
        for target in getattr(self, "targets", []):
            prefix = f"target_{target.pk}"
            if data.get(f"{prefix}_value") is not None and not data.get(f"{prefix}_as_of"):
                self.add_error(f"{prefix}_as_of", _("请填写“%(name)s”的截至日期。") % {"name": target.name})
        return data

    def clean_files(self):
        return clean_evidence_files(self.cleaned_data["files"])


def clean_evidence_files(files):
    """At most EVIDENCE_MAX_FILES files, each acceptable (tasks.uploads); every
    refusal said at once."""
    if len(files) > settings.EVIDENCE_MAX_FILES:
        raise ValidationError(
            ngettext(
                "一次最多上传 %(count)d 个文件。",
                "一次最多上传 %(count)d 个文件。",
                settings.EVIDENCE_MAX_FILES,
            ),
            params={"count": settings.EVIDENCE_MAX_FILES},
        )
    errors = []
    for upload in files:
        try:
            evidence_check(upload)
        except ValidationError as error:
            errors.append(error)
    if errors:
        raise ValidationError(errors)
    return files


class ReviewForm(VersionedForm):
    decision = forms.ChoiceField(choices=Review.Decision.choices, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=gettext_lazy("审核意见"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("退回时必填，单位会在首页和任务页看到。"),
    )


BULK_MAX = 500


class SelectionField(forms.MultipleChoiceField):
    def valid_value(self, value):
        return _parse_selection(value) is not None


class BulkSelectionForm(forms.Form):
    """Rows ticked on a task list: `task` values are "<id>:<version>", the
    version the page showed (for the stale-save check of a bulk review;
    a bulk 催办 uses the ids only). `next` is the list to go back to."""

    task = SelectionField(required=True)
    next = forms.CharField(required=False, max_length=2000)

    def clean_task(self):
        values = self.cleaned_data["task"]
        if len(values) > BULK_MAX:
            raise ValidationError(gettext_lazy("一次最多选择 %(count)d 项任务。"), params={"count": BULK_MAX})
        return dict(_parse_selection(value) for value in values)

    def back(self, request) -> str:
        back = self.data.get("next", "")
        if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}) and back.startswith("/"):
            return back
        return reverse("tasks:overview")


def _parse_selection(value: str) -> tuple[int, int] | None:
    pk, _colon, version = str(value).partition(":")
    if not (pk.isascii() and pk.isdigit() and len(pk) < 19):
        return None
    if version and not (version.isascii() and version.isdigit() and len(version) < 10):
        return None
    return int(pk), int(version) if version else -1


def _short(text: str, length: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[:length] + "…"


class InstructionForm(forms.Form):
    """批示: on a task, its whole indicator, or a unit (one of the three ids)."""

    SCOPES = [
        ("task", gettext_lazy("本任务（本单位）")),
        ("indicator", gettext_lazy("整个指标（全部承担单位）")),
    ]

    text = forms.CharField(
        label=gettext_lazy("批示内容"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    reply_due = forms.DateField(
        label=gettext_lazy("回复期限"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("可选。到期未回复的单位会收到提醒。"),
    )
    task = forms.IntegerField(required=False, widget=forms.HiddenInput)
    scope = forms.ChoiceField(label=gettext_lazy("批示对象"), choices=SCOPES, required=False, initial="task")
    unit = forms.IntegerField(required=False, widget=forms.HiddenInput)


class InstructionReplyForm(forms.Form):
    unit = forms.IntegerField(widget=forms.HiddenInput)
    text = forms.CharField(
        label=gettext_lazy("回复内容"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class InstructionFilterForm(QueryForm):
    show = forms.ChoiceField(
        choices=[("", gettext_lazy("全部批示")), ("overdue", gettext_lazy("逾期未回复"))], required=False
    )


class ExtensionRequestForm(forms.Form):
    """延期申请: the date asked for and why."""

    requested_due_date = forms.DateField(
        label=gettext_lazy("申请延至"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(
        label=gettext_lazy("延期理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    files = MultipleFileField(
        label=gettext_lazy("证明材料"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": ",".join(f".{ext}" for ext in ALLOWED_EXTENSIONS)}),
    )

    def clean_files(self):
        return clean_evidence_files(self.cleaned_data["files"])


class ExtensionDecisionForm(forms.Form):
    """The office's decision: 批准 (to the date asked, or another) or 不批准."""

    decision = forms.ChoiceField(
        choices=[("approve", "approve"), ("reject", "reject")], widget=forms.HiddenInput
    )
    due_date = forms.DateField(
        label=gettext_lazy("批准延至"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("留空即按申请的日期。"),
    )
    comment = forms.CharField(
        label=gettext_lazy("审批意见"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("不批准时必填，单位会在任务页看到。"),
    )
