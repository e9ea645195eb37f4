from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from . import signals
from .changes import sync_changes
from .models import Evidence, Instruction, InstructionReply, ProgressReport, Review, Task


@admin.register(Task)
class TaskAdmin(SimpleHistoryAdmin):
    list_display = ["task_name", "unit", "role", "status", "due_date", "is_active", "version"]
    list_filter = ["indicator__plan", "role", "status", "is_active", "unit__unit_type"]
    search_fields = ["indicator__code", "indicator__task_text", "unit__name"]
    list_select_related = ["indicator__plan", "unit"]
    raw_id_fields = ["indicator", "unit"]
    # Status moves through reports and reviews in the portal, which keep
    # the version check; an admin edit would bypass it.
    readonly_fields = ["status", "version"]
    list_per_page = 100

    def save_model(self, request, obj, form, change):
        """An edit of the due date, role or 仍在计划中 reaches the unit like a
        resync's (tasks.changes) and cancels the notices it makes stale."""
        super().save_model(request, obj, form, change)
        if not change:
            return
        before = (form.initial.get("role"), form.initial.get("due_date"), form.initial.get("is_active"))
        if {"role", "due_date", "is_active"} & set(form.changed_data):
            signals.send_changes(
                changes=sync_changes(
                    created=[], updated=[(obj, before)], unchanged=[], changed_texts={}, why="edited"
                )
            )
            signals.send_on_commit(task_ids=[obj.pk], why="synced")

    @admin.display(description="任务", ordering="indicator__position")
    def task_name(self, task):
        return task.name


class ReadOnlyMixin:
    """For records that the code writes and nobody edits afterwards (reports,
    reviews, notices, sweep runs): the admin shows them, nothing more."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    """Reports and reviews are written through the portal only, and never
    edited afterwards: the admin shows them and their history."""


class EvidenceInline(admin.TabularInline):
    model = Evidence
    fields = ["download", "kind", "size", "sha256", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="文件")
    def download(self, evidence):
        # Through the permission-checked view: MEDIA_URL is not served.
        return format_html(
            '<a href="{}">{}</a>', reverse("tasks:evidence", args=[evidence.pk]), evidence.original_name
        )


@admin.register(ProgressReport)
class ProgressReportAdmin(ReadOnlyAdmin):
    list_display = ["task", "status", "percent", "author", "created_at"]
    list_filter = ["status", "task__indicator__plan"]
    search_fields = ["task__indicator__code", "task__unit__name", "progress"]
    list_select_related = ["task__indicator__plan", "task__unit", "author"]
    inlines = [EvidenceInline]


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ["task", "decision", "reviewer", "created_at"]
    list_filter = ["decision", "task__indicator__plan"]
    search_fields = ["task__indicator__code", "task__unit__name", "reason"]
    list_select_related = ["task__indicator__plan", "task__unit", "reviewer"]


class InstructionReplyInline(admin.TabularInline):
    model = InstructionReply
    fields = ["unit", "text", "author", "report", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Instruction)
class InstructionAdmin(ReadOnlyAdmin):
    """批示 are written and answered in the portal; the admin shows them."""

    list_display = ["__str__", "author", "reply_due", "created_at"]
    list_select_related = ["author", "unit", "indicator", "task__indicator", "task__unit"]
    search_fields = ["text"]
    inlines = [InstructionReplyInline]
