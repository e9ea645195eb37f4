"""The plan pages' forms: opening a consultation, a unit's answer, the
office's decision on a comment, and the feedback table's filter (a bad
query-string value is reported and ignored, never a 500)."""

from django import forms
from django.utils.translation import gettext_lazy

from .models import ConsultationAnswer, Target

# The seed's notice (《关于征求萧山区2019年度“最多跑一次”改革工作要点意见的通知》),
# as the example the office starts from; the year and date are filled in.
NOTICE_TEMPLATE = (
    "各有关单位：\n\n"
    "区“最多跑一次”改革领导小组办公室制定了《{title}》（征求意见稿），现公开征求意见，"
    "请你们于{deadline}前在系统中反馈意见。逾期不反馈视作无意见。"
)


class ConsultationOpenForm(forms.Form):
    deadline = forms.DateField(
        label=gettext_lazy("反馈截止日期"),
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
    )
    message = forms.CharField(
        label=gettext_lazy("征求意见通知"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6, "class": "form-control"}),
    )


class AnswerForm(forms.Form):
    unit = forms.IntegerField(widget=forms.HiddenInput())
    indicator = forms.IntegerField(required=False, widget=forms.HiddenInput())
    kind = forms.ChoiceField(
        label=gettext_lazy("意见"),
        choices=[
            (ConsultationAnswer.Kind.NO_OBJECTION, ConsultationAnswer.Kind.NO_OBJECTION.label),
            (ConsultationAnswer.Kind.COMMENT, ConsultationAnswer.Kind.COMMENT.label),
        ],
        widget=forms.RadioSelect,
    )
    text = forms.CharField(
        label=gettext_lazy("修改意见"), required=False, max_length=5000, widget=forms.Textarea
    )
    proposed_due_date = forms.DateField(
        label=gettext_lazy("建议截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    proposed_units = forms.CharField(label=gettext_lazy("建议调整责任单位"), required=False, max_length=500)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=gettext_lazy("处理结果"), choices=ConsultationAnswer.Decision.choices)
    reply = forms.CharField(
        label=gettext_lazy("答复"), required=False, max_length=5000, widget=forms.Textarea
    )


class FeedbackFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("意见"),
        required=False,
        choices=[("", gettext_lazy("全部意见")), *ConsultationAnswer.Kind.choices],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].error_messages["invalid_choice"] = gettext_lazy("没有这个选项，已按默认显示。")
        self.fields["kind"].widget.attrs["class"] = "form-select"

    def chosen_kind(self) -> str:
        return self.cleaned_data.get("kind", "") if self.is_valid() else ""


class TargetForm(forms.Form):
    """The office's correction of a target (indicators.target_services.target_update)."""

    name = forms.CharField(label=gettext_lazy("目标名称"), max_length=200)
    direction = forms.ChoiceField(label=gettext_lazy("方向"), choices=Target.Direction.choices)
    value = forms.DecimalField(label=gettext_lazy("目标值"), required=False, max_digits=14, decimal_places=4)
    value_min = forms.DecimalField(
        label=gettext_lazy("下限"), required=False, max_digits=14, decimal_places=4
    )
    value_max = forms.DecimalField(
        label=gettext_lazy("上限"), required=False, max_digits=14, decimal_places=4
    )
    unit = forms.CharField(label=gettext_lazy("单位"), max_length=20)


class TargetFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("状态"),
        required=False,
        choices=[("", gettext_lazy("全部目标")), *Target.Status.choices],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].error_messages["invalid_choice"] = gettext_lazy("没有这个选项，已按默认显示。")
        self.fields["status"].widget.attrs["class"] = "form-select form-select-sm"

    def chosen_status(self) -> str:
        return self.cleaned_data.get("status", "") if self.is_valid() else ""
