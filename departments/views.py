"""单位联络员: the reform office manages units' staff accounts in the portal,
without the system admin. Office and admins only; thin views over
departments.services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import services
from .forms import ContactCreateForm, ContactEditForm
from .models import Membership, Unit
from .roles import is_reform_office


def _office_only(user) -> None:
    if not is_reform_office(user):
        raise PermissionDenied(_("只有跑改办可以管理单位联络员。"))


def _back_to(unit: Unit) -> str:
    return reverse("departments:contacts") + f"#unit-{unit.pk}"


@login_required
def contacts(request):
    """Every unit with its 联络员 (two queries, whatever the number of units)."""
    _office_only(request.user)
    memberships = Membership.objects.select_related("user").order_by("user__username")
    units = (
        Unit.objects.units().order_by("name").prefetch_related(Prefetch("memberships", queryset=memberships))
    )
    return render(request, "departments/contacts.html", {"units": units})


def _apply(request, form, field_names, call):
    """Run a service; its ValidationError goes to the field its code names."""
    try:
        return call()
    except ValidationError as error:
        form.add_error(error.code if error.code in field_names else None, error)
        return None


@login_required
def contact_create(request, unit_pk):
    _office_only(request.user)
    unit = get_object_or_404(Unit.objects.units(), pk=unit_pk)
    form = ContactCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        membership = _apply(
            request,
            form,
            form.fields,
            lambda: services.membership_create(
                unit=unit,
                by=request.user,
                username=data["username"],
                full_name=data["full_name"],
                email=data["email"],
                phone=data["phone"],
                password=data["password"],
            ),
        )
        if membership:
            messages.success(
                request,
                _("已将 %(user)s 设为%(unit)s联络员。")
                % {"user": membership.user.username, "unit": unit.name},
            )
            return redirect(_back_to(unit))
    return render(request, "departments/contact_form.html", {"unit": unit, "form": form, "membership": None})


@login_required
def contact_edit(request, pk):
    _office_only(request.user)
    membership = get_object_or_404(Membership.objects.select_related("user", "unit"), pk=pk)
    initial = {"email": membership.user.email, "phone": membership.phone}
    form = ContactEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.membership_update(
            membership=membership,
            by=request.user,
            email=form.cleaned_data["email"],
            phone=form.cleaned_data["phone"],
        )
        messages.success(request, _("联络员信息已保存。"))
        return redirect(_back_to(membership.unit))
    context = {"unit": membership.unit, "form": form, "membership": membership}
    return render(request, "departments/contact_form.html", context)


@require_POST
@login_required
def contact_remove(request, pk):
    _office_only(request.user)
    membership = get_object_or_404(Membership.objects.select_related("user", "unit"), pk=pk)
    services.membership_remove(membership=membership, by=request.user)
    messages.success(
        request,
        _("已将 %(user)s 移出%(unit)s联络员。")
        % {"user": membership.user.username, "unit": membership.unit.name},
    )
    return redirect(_back_to(membership.unit))
