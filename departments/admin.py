import base64

from django import forms
from django.contrib import admin
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from . import services
from .contacts_import import MAX_BYTES, contacts_import
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


class ContactsUploadForm(forms.Form):
    workbook = forms.FileField(
        label=gettext_lazy("Excel 工作簿（.xlsx）"),
        help_text=gettext_lazy("第一行为表头：单位、姓名、用户名、邮箱、电话（顺序不限）。"),
    )

    def clean_workbook(self):
        upload = self.cleaned_data["workbook"]
        if upload.size > MAX_BYTES or not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("请上传不超过 1 MB 的 Excel 工作簿（.xlsx）。"))
        return upload


SIGNING_SALT = "departments.contacts-import"


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    change_list_template = "admin/departments/membership/change_list.html"

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

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="departments_membership_import"), *super().get_urls()]

    def import_view(self, request):
        """Upload → preview (nothing written) → confirm (all or nothing)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form, result, token = ContactsUploadForm(), None, None
        if request.method == "POST" and "token" in request.POST:  # confirm
            try:
                data = base64.b64decode(signing.loads(request.POST["token"], salt=SIGNING_SALT, max_age=3600))
            except signing.BadSignature:
                self.message_user(request, _("预览已过期，请重新上传。"), level="error")
            else:
                result = contacts_import(data=data, by=request.user, dry_run=False)
                done = result.ok
                return TemplateResponse(
                    request,
                    "admin/departments/membership/import.html",
                    {**self._context(request), "form": form, "result": result, "done": done},
                )
        elif request.method == "POST":
            form = ContactsUploadForm(request.POST, request.FILES)
            if form.is_valid():
                data = form.cleaned_data["workbook"].read()
                result = contacts_import(data=data, by=request.user, dry_run=True)
                if result.ok:
                    token = signing.dumps(base64.b64encode(data).decode(), salt=SIGNING_SALT, compress=True)
        return TemplateResponse(
            request,
            "admin/departments/membership/import.html",
            {**self._context(request), "form": form, "result": result, "token": token, "done": False},
        )

    def _context(self, request):
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("从 Excel 批量导入联络员"),
        }
