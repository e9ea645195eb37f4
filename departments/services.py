"""Writes on who is who: the reform office manages units' 联络员 in the
portal (departments.views). Every function here runs in a transaction."""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .models import Membership, Unit

logger = logging.getLogger(__name__)


def _stored(message: str, **params) -> str:
    """History is data: written in the site's language, whatever language
    the person who caused it reads the portal in."""
    with translation.override(settings.LANGUAGE_CODE):
        return _(message) % params if params else _(message)


def _save(membership: Membership, *, by, reason: str) -> None:
    membership._history_user = by
    membership._change_reason = reason[:100]
    membership.save()


@transaction.atomic
def membership_create(
    *, unit: Unit, by, username: str, full_name: str, email: str, phone: str, password: str = ""
) -> Membership:
    """Make `username` a 联络员 of the unit. A new username becomes an account
    with the initial password the office gives (the person changes it at
    修改密码); an existing account of a unit's staff also joins this unit, its
    name, e-mail and password untouched. Accounts of the office, leaders or
    admins are refused: they are not a unit's staff."""
    if unit.is_group:
        raise ValidationError(_("单位组不能设联络员，请选择具体单位。"), code="unit")
    User = get_user_model()
    user = User.objects.select_for_update().filter(username=username).first()
    if user is None:
        if not password:
            raise ValidationError(_("新账号请设置初始密码。"), code="password")
        user = User(username=username, first_name=full_name, email=email)
        validate_password(password, user)
        user.set_password(password)
        user.save()
    else:
        if user.is_superuser or user.is_staff or user.groups.exists():
            raise ValidationError(
                _("该账号属于跑改办、区领导或管理员，不能设为单位联络员。"), code="username"
            )
        if Membership.objects.filter(user=user, unit=unit).exists():
            raise ValidationError(_("该账号已是本单位联络员。"), code="username")
        if not user.is_active:
            user.is_active = True
            user.save(update_fields=["is_active"])
    membership = Membership(user=user, unit=unit, phone=phone)
    _save(membership, by=by, reason=_stored(gettext_noop("添加联络员")))
    logger.info("membership %s: user %s added to unit %s by %s", membership.pk, user.pk, unit.pk, by.pk)
    return membership


@transaction.atomic
def membership_update(*, membership: Membership, by, email: str, phone: str) -> Membership:
    """Change a 联络员's e-mail (on the account: every unit they work for
    uses it) and phone (for this unit). The membership's history row says
    who changed what, e-mail included."""
    user = membership.user
    changes = []
    if user.email != email:
        changes.append(
            _stored(gettext_noop("邮箱 %(old)s → %(new)s"), old=user.email or "—", new=email or "—")
        )
        user.email = email
        user.save(update_fields=["email"])
    if membership.phone != phone:
        changes.append(
            _stored(gettext_noop("电话 %(old)s → %(new)s"), old=membership.phone or "—", new=phone or "—")
        )
        membership.phone = phone
    if changes:
        _save(membership, by=by, reason="；".join(changes))
        logger.info("membership %s changed by %s", membership.pk, by.pk)
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, by) -> None:
    """Take a 联络员 off a unit. An account left without any unit can no
    longer sign in (deactivated, not deleted: its reports keep their
    author); adding it to a unit again reactivates it."""
    user = membership.user
    membership._history_user = by
    membership._change_reason = _stored(gettext_noop("移除联络员"))
    membership.delete()
    if not Membership.objects.filter(user=user).exists() and not (user.is_staff or user.is_superuser):
        user.is_active = False
        user.save(update_fields=["is_active"])
    logger.info("membership of user %s in unit %s removed by %s", user.pk, membership.unit_id, by.pk)
