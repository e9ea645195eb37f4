from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from simple_history.admin import SimpleHistoryAdmin

from . import services
from .forms import ContactCreateForm
from .models import Membership, Unit, UnitAlias


class UnitAliasInline(admin.TabularInline):
    model = UnitAlias
    extra = 0


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Unit)
class UnitAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "unit_type", "member_type", "contact_email"]
    list_filter = ["kind", "unit_type"]
    search_fields = ["name", "aliases__alias"]
    filter_horizontal = ["members"]
    inlines = [UnitAliasInline, MembershipInline]
    fieldsets = [
        (None, {"fields": ["name", "kind", "unit_type", "contact_email"]}),
        ("单位组成员（仅对单位组）", {"fields": ["member_type", "members"]}),
    ]


@admin.register(UnitAlias)
class UnitAliasAdmin(SimpleHistoryAdmin):
    list_display = ["alias", "unit"]
    search_fields = ["alias", "unit__name"]
    autocomplete_fields = ["unit"]


class MembershipAddForm(forms.ModelForm):
    """A 联络员 in one step: the unit, and the person's account, e-mail and
    phone, through the same service as the office's 单位联络员 page."""

    by = None  # the admin's user, set per request by MembershipAdmin.get_form

    username = ContactCreateForm.base_fields["username"]
    full_name = ContactCreateForm.base_fields["full_name"]
    email = ContactCreateForm.base_fields["email"]
    phone = ContactCreateForm.base_fields["phone"]
    password = ContactCreateForm.base_fields["password"]

    class Meta:
        model = Membership
        fields = ["unit", "phone"]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        # The admin's add view runs in one transaction: what the service
        # writes here is undone if anything after it fails.
        try:
            with transaction.atomic():
                self.membership = services.membership_create(
                    unit=data["unit"],
                    by=self.by,
                    username=data["username"],
                    full_name=data["full_name"],
                    email=data["email"],
                    phone=data["phone"],
                    password=data["password"],
                )
        except ValidationError as error:
            self.add_error(error.code if error.code in self.fields else None, error)
        return data


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["user", "unit", "phone"]
    list_filter = ["unit"]
    search_fields = ["user__username", "user__first_name", "unit__name"]
    autocomplete_fields = ["user", "unit"]
    add_fields = ["unit", "username", "full_name", "email", "phone", "password"]

    def get_fields(self, request, obj=None):
        return self.add_fields if obj is None else super().get_fields(request, obj)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = MembershipAddForm
        form = super().get_form(request, obj, **kwargs)
        form.by = request.user
        return form

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        # Written by the service in the form's clean(); the admin logs it.
        obj.pk, obj.user = form.membership.pk, form.membership.user
        obj._state.adding = False
