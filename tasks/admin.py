from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Task


@admin.register(Task)
class TaskAdmin(SimpleHistoryAdmin):
    list_display = ["indicator_code", "unit", "role", "status", "due_date", "is_active"]
    list_filter = ["indicator__plan", "role", "status", "is_active", "unit__unit_type"]
    search_fields = ["indicator__code", "indicator__task_text", "unit__name"]
    list_select_related = ["indicator", "unit"]
    raw_id_fields = ["indicator", "unit"]
    list_per_page = 100

    @admin.display(description="序号", ordering="indicator__position")
    def indicator_code(self, task):
        return task.indicator.code
