from django import forms
from django.utils.translation import gettext_lazy

from tasks.forms import QueryForm, SearchField


class NoticeLogFilterForm(QueryForm):
    """The notice log's filters (提醒记录); the choices come from the view."""

    reason = forms.ChoiceField(label=gettext_lazy("原因"), required=False)
    status = forms.ChoiceField(label=gettext_lazy("状态"), required=False)
    q = SearchField()

    def __init__(self, data, *, reasons, statuses):
        super().__init__(data)
        self.fields["reason"].choices = reasons
        self.fields["status"].choices = statuses
