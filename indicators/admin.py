import datetime as dt
import logging
import os
import re

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from import_export.admin import ImportExportMixin
from import_export.forms import ConfirmImportForm, ImportForm
from import_export.tmp_storages import MediaStorage
from simple_history.admin import SimpleHistoryAdmin

from .annex import AnnexFileError
from .models import (
    PLAN_YEAR_MAX,
    PLAN_YEAR_MIN,
    Consultation,
    ConsultationAnswer,
    Indicator,
    IndicatorUnit,
    Plan,
    Target,
    validate_plan_year,
)
from .resources import AnnexXLSX, IndicatorResource
from .signals import plan_changed
from .target_services import target_confirm, target_delete, target_restore, targets_sync
from .targets import target_key

logger = logging.getLogger(__name__)


class UploadGone(Exception):
    """The confirm step names an upload that is no longer stored."""


class AnnexUploadStorage(MediaStorage):
    """Where an upload waits between preview and confirm, in
    MEDIA_ROOT/django-import-export/ (any web process can confirm it).

    import-export removes it only after a confirmed import: a refused or
    never confirmed upload would stay forever, so each new upload first
    sweeps those older than UPLOAD_MAX_AGE (one listing of a small folder),
    and IndicatorAdmin.import_action removes a refused one at once."""

    UPLOAD_MAX_AGE = dt.timedelta(days=1)
    NAME = re.compile(r"^[0-9a-f]{32}$")  # what MediaStorage.save names it (uuid4().hex)

    def save(self, data):
        self.sweep()
        super().save(data)

    def read(self):
        # The name comes back from the browser in a hidden field.
        if not self.NAME.match(self.name or ""):
            raise UploadGone(self.name)
        try:
            return super().read()
        except FileNotFoundError as e:  # confirmed already (browser back), or swept
            raise UploadGone(self.name) from e

    def sweep(self) -> int:
        try:
            _, names = self._storage.listdir(self.MEDIA_FOLDER)
        except FileNotFoundError:
            return 0
        cutoff = timezone.now() - self.UPLOAD_MAX_AGE
        swept = 0
        for name in names:
            path = os.path.join(self.MEDIA_FOLDER, name)
            try:
                if self._storage.get_modified_time(path) < cutoff:
                    self._storage.delete(path)
                    swept += 1
            except FileNotFoundError:  # another process swept it first
                continue
        if swept:
            logger.info("swept %s annex uploads older than %s", swept, self.UPLOAD_MAX_AGE)
        return swept


YEAR_HELP = gettext_lazy("留空则取标题行中的年度（如“2019年度”）；工作簿没有标题行时必填。")


class AnnexImportForm(ImportForm):
    year = forms.IntegerField(
        label=gettext_lazy("计划年度"),
        required=False,
        validators=[validate_plan_year],
        widget=forms.NumberInput(attrs={"min": PLAN_YEAR_MIN, "max": PLAN_YEAR_MAX}),
        help_text=YEAR_HELP,
    )
    draft = forms.BooleanField(
        label=gettext_lazy("作为草案导入"),
        required=False,
        help_text=gettext_lazy(
            "新建的计划先作为草案（可征求意见，通过后才生成任务）；不勾选则直接执行。已有计划的状态不变。"
        ),
    )

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        if upload.size > settings.ANNEX_MAX_UPLOAD_BYTES:
            limit_mb = settings.ANNEX_MAX_UPLOAD_BYTES / 1024 / 1024
            raise forms.ValidationError(_("文件过大：上限为 %(limit)s MB。") % {"limit": f"{limit_mb:g}"})
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("请上传 Excel 工作簿（.xlsx）；旧版 .xls 请先另存为 .xlsx。"))
        return upload


class AnnexConfirmImportForm(ConfirmImportForm):
    year = forms.IntegerField(required=False, widget=forms.HiddenInput())
    draft = forms.BooleanField(required=False, widget=forms.HiddenInput())


class IndicatorUnitInline(admin.TabularInline):
    model = IndicatorUnit
    extra = 0
    autocomplete_fields = ["unit"]
    ordering = ["role", "position"]


@admin.register(Plan)
class PlanAdmin(SimpleHistoryAdmin):
    list_display = ["year", "title", "status", "indicator_count"]
    list_filter = ["status"]
    search_fields = ["title"]
    # The status changes on the plan's page in the portal (plans:detail),
    # through the services that check the order and notify the units.
    readonly_fields = ["status"]

    @admin.display(description=gettext_lazy("指标数"))
    def indicator_count(self, plan):
        return plan.indicators.count()


class TargetReviewFilter(admin.SimpleListFilter):
    title = gettext_lazy("原文核对")
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("needed", _("原文已改，待核对"))]

    def queryset(self, request, queryset):
        if self.value() == "needed":
            return queryset.needing_review()
        return queryset


class TargetAdminForm(forms.ModelForm):
    class Meta:
        model = Target
        fields = [
            "indicator",
            "name",
            "direction",
            "value",
            "value_min",
            "value_max",
            "unit",
            "quote",
            "implied",
        ]

    def clean(self):
        data = super().clean()
        indicator = data.get("indicator")
        if self.instance.pk is None and indicator is not None and not self.errors:
            is_range = data.get("direction") == Target.Direction.RANGE
            key = target_key(
                name=data.get("name", ""),
                unit=data.get("unit", ""),
                direction=data.get("direction", ""),
                value=None if is_range else data.get("value"),
                value_min=data.get("value_min") if is_range else None,
                value_max=data.get("value_max") if is_range else None,
            )
            if Target.objects.filter(indicator=indicator, key=key).exists():
                raise forms.ValidationError(_("该指标已有同样的目标（可能已删除，可在列表中恢复）。"))
            self.instance.key = key
        return data


@admin.register(Target)
class TargetAdmin(SimpleHistoryAdmin):
    """The targets read from the annex: the office confirms, edits or deletes
    the proposals (docs/targets.md). Deleting keeps the row as 已删除, so a
    re-import does not propose it again; nothing is removed for good."""

    list_display = ["indicator_code", "name", "goal", "quote_shown", "implied", "status", "confirmed_by"]
    list_display_links = ["name"]
    list_filter = ["indicator__plan", "status", TargetReviewFilter, "implied", "direction"]
    search_fields = ["indicator__code", "name", "quote"]
    list_select_related = ["indicator__plan", "confirmed_by"]
    raw_id_fields = ["indicator"]
    fields = [
        "indicator",
        "name",
        "direction",
        "value",
        "value_min",
        "value_max",
        "unit",
        "quote",
        "implied",
        "status",
        "confirmed_by",
        "confirmed_at",
    ]
    readonly_fields = ["status", "confirmed_by", "confirmed_at"]
    actions = ["confirm", "delete", "restore"]
    list_per_page = 100
    # A target added by hand gets the key of its reading (TargetAdminForm),
    # so that no import proposes it again.
    form = TargetAdminForm

    def get_readonly_fields(self, request, obj=None):
        # Where a target came from is part of it: only one added by hand
        # chooses its indicator and quote.
        if obj is not None:
            return [*self.readonly_fields, "indicator", "quote", "implied"]
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("序号"), ordering="indicator__position")
    def indicator_code(self, target):
        # A click lists this indicator's targets only.
        return format_html(
            '<a href="?indicator__id__exact={}">{}</a>', target.indicator_id, target.indicator.code
        )

    @admin.display(description=pgettext_lazy("target", "目标"))
    def goal(self, target):
        return target.goal_display

    @admin.display(description=pgettext_lazy("target", "原文"))
    def quote_shown(self, target):
        if target.status == Target.Status.CONFIRMED and not target.quote_in_text:
            return format_html("{}<br><strong>{}</strong>", target.quote, _("原文已改，请核对"))
        return target.quote

    @admin.action(description=gettext_lazy("确认所选目标"), permissions=["change"])
    def confirm(self, request, queryset):
        count = target_confirm(targets=queryset, user=request.user)
        messages.success(request, _("已确认 %(count)s 个目标。") % {"count": count})

    @admin.action(description=gettext_lazy("删除所选目标（不再建议）"), permissions=["change"])
    def delete(self, request, queryset):
        count = target_delete(targets=queryset, user=request.user)
        messages.success(
            request, _("已删除 %(count)s 个目标；再次导入同样的文字时不会再建议。") % {"count": count}
        )

    @admin.action(description=gettext_lazy("恢复为建议"), permissions=["change"])
    def restore(self, request, queryset):
        count = target_restore(targets=queryset, user=request.user)
        messages.success(request, _("已将 %(count)s 个目标恢复为建议。") % {"count": count})


@admin.register(Indicator)
class IndicatorAdmin(ImportExportMixin, SimpleHistoryAdmin):
    resource_classes = [IndicatorResource]
    import_formats = [AnnexXLSX]
    export_formats = [AnnexXLSX]
    import_form_class = AnnexImportForm
    confirm_form_class = AnnexConfirmImportForm
    import_template_name = "admin/indicators/annex_import.html"
    list_display = ["code", "category", "short_task", "leads", "deadline_label", "due_date", "ongoing"]
    list_display_links = ["code", "short_task"]
    list_filter = ["plan", "category", "ongoing", "deadline_label"]
    search_fields = ["code", "task_text", "category"]
    list_select_related = ["plan"]
    inlines = [IndicatorUnitInline]
    tmp_storage_class = AnnexUploadStorage
    raw_id_fields = ["parent"]
    list_per_page = 100

    def get_queryset(self, request):
        return super().get_queryset(request).with_units()

    @admin.display(description=gettext_lazy("目标任务"))
    def short_task(self, indicator):
        text = indicator.task_text
        return text if len(text) <= 50 else text[:50] + "…"

    @admin.display(description=gettext_lazy("牵头单位"))
    def leads(self, indicator):
        return "、".join(indicator.lead_names)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        changed_texts = {}
        if "task_text" in form.changed_data:  # read its targets again, as an import would
            targets_sync(plan=form.instance.plan, user=request.user)
            if change:  # the units hear of the new text, old → new
                changed_texts[form.instance.pk] = form.initial.get("task_text", "")
        plan_changed.send(sender=Plan, plan=form.instance.plan, changed_texts=changed_texts)

    def get_import_data_kwargs(self, **kwargs):
        form = kwargs.get("form")
        data = super().get_import_data_kwargs(**kwargs)
        if form is not None and form.is_valid():
            data["year"] = form.cleaned_data.get("year")
            data["draft"] = bool(form.cleaned_data.get("draft"))
        return data

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["year"] = import_form.cleaned_data.get("year")
            initial["draft"] = bool(import_form.cleaned_data.get("draft"))
        return initial

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None) or {}
        # import-export marks the upload it stored (a form error takes it
        # out of the form's cleaned_data, not out of request.FILES).
        name = getattr(request.FILES.get("import_file"), "tmp_storage_name", None)
        if name and "confirm_form" not in context:
            # Refused (unreadable, or errors in rows): nothing will confirm it.
            self.get_tmp_storage_class()(name=name, **self.get_tmp_storage_class_kwargs()).remove()
        return response

    def process_import(self, request, **kwargs):
        try:
            return super().process_import(request, **kwargs)
        except UploadGone:
            messages.error(request, _("导入文件已处理或已过期，请重新上传。"))
        except AnnexFileError as e:  # the file no longer passes (the limits changed since the preview)
            messages.error(request, str(e))
        return redirect("admin:indicators_indicator_import")

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, AnnexFileError):
            form.add_error("import_file", str(e))
        else:  # a bug of ours, not the file's: logged, and the admin is told in Chinese
            logger.exception("annex upload could not be read")
            form.add_error(
                "import_file", _("无法读取该 Excel 工作簿（%(error)s）。") % {"error": type(e).__name__}
            )

    def add_success_message(self, result, request):
        report = result.annex_report
        if not report.ok:  # the plan changed between preview and confirm: nothing was written
            for problem in report.errors:
                messages.error(request, str(problem))
            return
        messages.success(
            request,
            _(
                "导入完成：%(year)s 年度计划，新增指标 %(new)s 项，更新 %(update)s 项，未变 %(skip)s 项；"
                "新建单位 %(units)s 个。"
            )
            % {
                "year": report.year,
                "new": report.count("new"),
                "update": report.count("update"),
                "skip": report.count("skip"),
                "units": len(report.new_units),
            },
        )
        for problem in report.warnings:
            messages.warning(request, str(problem))


class _WrittenInThePortal:
    """Consultations and their answers are written on the plan's pages
    (indicators.views), where the rules are checked; the admin shows them
    with their history, nothing more."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Consultation)
class ConsultationAdmin(_WrittenInThePortal, SimpleHistoryAdmin):
    list_display = ["plan", "deadline", "opened_at", "closed_at", "deemed_at"]
    list_select_related = ["plan"]


@admin.register(ConsultationAnswer)
class ConsultationAnswerAdmin(_WrittenInThePortal, SimpleHistoryAdmin):
    list_display = ["consultation", "unit", "indicator", "kind", "decision", "answered_at"]
    list_filter = ["kind", "decision", "consultation__plan"]
    search_fields = ["unit__name", "indicator__code", "text"]
    list_select_related = ["consultation__plan", "unit", "indicator"]
    list_per_page = 100
