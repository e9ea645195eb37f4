import datetime as dt

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from indicators.models import Plan
from tasks.forms import QueryForm
from tasks.templatetags.portal import cn_date
from xsreform.dates import month_text

from .asof import StatusFilter
from .bulletin_text import check_template
from .models import BulletinTemplate


def plan_choices(plans) -> list[tuple[int, str]]:
    """The plan filter's options from (year, status) pairs, newest first:
    2026年度（执行中）. The labels looked up once (get_status_display()
    hashes every lazy choice label on each call: 5 ms for 90 plans)."""
    statuses = {value: str(label) for value, label in Plan.Status.choices}
    label = _("%(year)d年度（%(status)s）")
    return [(year, label % {"year": year, "status": statuses[status]}) for year, status in plans]


class OverviewFilterForm(QueryForm):
    """The overview's filters, from the query string. A value that does not
    fit (an unknown unit, a date in the future) is reported and ignored."""

    plan = forms.TypedChoiceField(label=gettext_lazy("年度"), coerce=int, required=False)
    as_of = forms.DateField(
        label=gettext_lazy("截至日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    category = forms.ChoiceField(label=gettext_lazy("指标名称"), required=False)
    unit = forms.TypedChoiceField(label=gettext_lazy("单位"), coerce=int, required=False, empty_value=None)
    status = forms.ChoiceField(
        label=gettext_lazy("状态"),
        required=False,
        choices=[("", gettext_lazy("全部状态")), *StatusFilter.CHOICES],
    )

    def __init__(self, data, *, plans, plan, categories, units, today):
        data = data.copy()
        # A closed past plan is shown as of its year's last day: a day after
        # it adds nothing but days late that the year never had. A past plan
        # still running (执行中: extensions into January, late verifications)
        # is shown as it is today; its trend still ends on 31 December.
        year_end = dt.date(plan.year, 12, 31)
        self.latest = today if plan.is_active else min(today, year_end)
        # The defaults show in the fields: the plan chosen, today (or the
        # plan year's last day).
        data.setdefault("plan", str(plan.year))
        data.setdefault("as_of", self.latest.isoformat())
        super().__init__(data)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control" if field is self.fields["as_of"] else "form-select"
        self.today = today
        # The office drafts a plan in the year before it: the earliest day
        # whose state can be asked for.
        self.earliest = dt.date(plan.year - 1, 1, 1)
        self.fields["plan"].choices = plan_choices(plans)
        self.fields["plan"].initial = plan.year
        self.fields["as_of"].widget.attrs.update(min=self.earliest.isoformat(), max=self.latest.isoformat())
        self.fields["category"].choices = [("", _("全部类别")), *[(c, c) for c in categories]]
        self.fields["unit"].choices = [("", _("全部单位")), *units]

    def clean_as_of(self):
        as_of = self.cleaned_data["as_of"]
        if as_of and as_of > self.today:
            raise forms.ValidationError(_("截至日期不能晚于今天。"))
        if as_of and as_of < self.earliest:
            raise forms.ValidationError(_("截至日期不能早于%(date)s。") % {"date": cn_date(self.earliest)})
        return min(as_of, self.latest) if as_of else as_of


class CompletenessFilterForm(QueryForm):
    """报送完整率: the plan and the month (1–12, up to this month)."""

    plan = forms.TypedChoiceField(label=gettext_lazy("年度"), coerce=int, required=False)
    month = forms.TypedChoiceField(label=gettext_lazy("月份"), coerce=int, required=False)

    def __init__(self, data, *, plans, plan, months):
        # The defaults show in the fields (a bound form shows what was sent,
        # not its initial): the plan chosen, the latest month.
        data = data.copy()
        if plan:
            data.setdefault("plan", str(plan.year))
        if months:
            data.setdefault("month", str(months[-1].month))
        super().__init__(data)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select"
            field.widget.attrs["data-autosubmit"] = ""
        self.fields["plan"].choices = plan_choices(plans)
        self.fields["month"].choices = [(m.month, month_text(m, year=m.year)) for m in months]


class BulletinTemplatesForm(forms.Form):
    """通报模板: one template per part of the 通报, each checked against the
    figures (syntax, unknown variables) with a Chinese message."""

    def __init__(self, data=None, *, initial, figures):
        super().__init__(data, initial=initial)
        rows = {BulletinTemplate.Section.TITLE: 2, BulletinTemplate.Section.SIGNATURE: 3}
        self.figures = figures
        for section, label in BulletinTemplate.Section.choices:
            self.fields[section] = forms.CharField(
                label=label,
                required=section == BulletinTemplate.Section.TITLE,
                strip=False,
                max_length=20_000,
                widget=forms.Textarea(
                    attrs={"rows": rows.get(section, 8), "class": "form-control font-monospace small"}
                ),
            )

    def clean(self):
        data = super().clean()
        for section in BulletinTemplate.Section.values:
            if section in data:
                problem = check_template(section, data[section], self.figures)
                if problem:
                    self.add_error(section, problem)
        return data
