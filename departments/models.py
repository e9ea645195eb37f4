"""Who is who: units, groups of units, the names people write for them, and
which staff belong to which unit."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class UnitQuerySet(models.QuerySet):
    def get_by_natural_key(self, name):
        return self.get(name=name)

    def units(self):
        return self.filter(kind=Unit.Kind.UNIT)

    def groups(self):
        return self.filter(kind=Unit.Kind.GROUP)


class Unit(models.Model):
    """A unit that is given work (a department, a town, a company), or a group
    of units named as one in the plan ("各区级部门")."""

    class Kind(models.TextChoices):
        UNIT = "unit", _("单位")
        GROUP = "group", _("单位组")

    class Type(models.TextChoices):
        DISTRICT = "district", _("区级部门")
        CITY_BRANCH = "city_branch", _("市级派驻机构")
        TOWN = "town", _("镇")
        SUBDISTRICT = "subdistrict", _("街道")
        JUDICIAL = "judicial", _("司法机关")
        ENTERPRISE = "enterprise", _("企业")
        OTHER = "other", _("其他")

    name = models.CharField(_("名称"), max_length=100, unique=True)
    kind = models.CharField(_("类别"), max_length=10, choices=Kind, default=Kind.UNIT)
    unit_type = models.CharField(
        _("单位类型"),
        max_length=20,
        choices=Type,
        blank=True,
        help_text=_("单位的类型；按类型组成的单位组（如“各区级部门”）据此确定成员。"),
    )
    member_type = models.CharField(
        _("按类型包含"),
        max_length=20,
        choices=Type,
        blank=True,
        help_text=_("仅对单位组：该类型的所有单位都是本组成员。"),
    )
    members = models.ManyToManyField(
        "self",
        verbose_name=_("成员单位"),
        symmetrical=False,
        blank=True,
        related_name="member_of",
        limit_choices_to={"kind": Kind.UNIT},
        help_text=_("仅对单位组：逐个列出的成员单位（在按类型包含之外）。"),
    )
    contact_email = models.EmailField(_("联系邮箱"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    history = HistoricalRecords(m2m_fields=[members])
    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位与单位组")
        ordering = ["kind", "name"]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.name,)

    @property
    def is_group(self) -> bool:
        return self.kind == self.Kind.GROUP

    def member_units(self):
        """The units this group expands to; a unit expands to itself."""
        if not self.is_group:
            return Unit.objects.filter(pk=self.pk)
        condition = Q(member_of=self)
        if self.member_type:
            condition |= Q(unit_type=self.member_type)
        return Unit.objects.units().filter(condition).distinct()


class UnitAliasQuerySet(models.QuerySet):
    def get_by_natural_key(self, alias):
        return self.get(alias=alias)

    def as_dict(self) -> dict[str, str]:
        return dict(self.values_list("alias", "unit__name"))


class UnitAlias(models.Model):
    """Another name written for a unit in plans ("区卫健局" for "区卫生健康局")."""

    alias = models.CharField(_("别名"), max_length=100, unique=True)
    unit = models.ForeignKey(
        Unit, verbose_name=_("指向单位"), on_delete=models.CASCADE, related_name="aliases"
    )

    history = HistoricalRecords()
    objects = UnitAliasQuerySet.as_manager()

    class Meta:
        verbose_name = _("单位别名")
        verbose_name_plural = _("单位别名")
        ordering = ["alias"]

    def __str__(self):
        return f"{self.alias} → {self.unit.name}"

    def natural_key(self):
        return (self.alias,)


class Membership(models.Model):
    """A staff member (部门联络员) works for a unit and reports its progress."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("单位"),
        on_delete=models.CASCADE,
        related_name="memberships",
        limit_choices_to={"kind": Unit.Kind.UNIT},
    )
    # The phone belongs to the role, not the person: the number a unit gives
    # for its 联络员 (an office line, often), as an SMS or robot @-mention
    # would use it. The e-mail stays on the account, where delivery reads it.
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("单位联络员")
        verbose_name_plural = _("单位联络员")
        constraints = [models.UniqueConstraint(fields=["user", "unit"], name="membership_unique_user_unit")]

    def __str__(self):
        return f"{self.user} @ {self.unit}"
