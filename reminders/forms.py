from django import forms
from django.utils.translation import gettext_lazy

from tasks.forms import QueryForm, SearchField

from .models import Reminder
from .selectors import Status


class NoticeLogFilterForm(QueryForm):
    """The notice log's filters (提醒记录)."""

    reason = forms.ChoiceField(label=gettext_lazy("原因"), required=False, choices=Reminder.Reason.choices)
    status = forms.ChoiceField(
        label=gettext_lazy("状态"), required=False, choices=list(Status.LABELS.items())
    )
    q = SearchField()
