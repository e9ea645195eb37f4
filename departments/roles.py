"""The roles of PRODUCT.md as Django auth groups, kept in step after every
`migrate`. Staff are users with a unit membership; admins are superusers.
Permissions are named as strings so that this app imports nothing from the
apps that depend on it. `is_reform_office` and `is_leader` are the one test
of a role (tasks.access adds the units)."""

from django.contrib.auth.models import Group, Permission

REFORM_OFFICE = "跑改办"
LEADER = "区领导"

_VIEW = [
    "view_plan",
    "view_indicator",
    "view_indicatorunit",
    "view_unit",
    "view_unitalias",
    "view_task",
    "view_progressreport",
    "view_review",
    "view_target",
]
ROLE_PERMISSIONS = {
    REFORM_OFFICE: [
        *_VIEW,
        "add_plan",
        "change_plan",
        "add_indicator",
        "change_indicator",
        "add_indicatorunit",
        "change_indicatorunit",
        "delete_indicatorunit",
        "export_indicator",
        "add_target",
        "change_target",
        "view_membership",
    ],
    LEADER: _VIEW,
}


def ensure_role_groups(**kwargs) -> None:
    for name, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(
            codename__in=codenames,
            content_type__app_label__in=["departments", "indicators", "tasks"],
        )
        group.permissions.add(*permissions)


def role_names(user) -> frozenset[str]:
    """The user's role groups, read once per user object (one request): a
    page asks several times — the navigation, the view, its templates."""
    if not user.is_authenticated:
        return frozenset()
    if not hasattr(user, "_xsreform_roles"):
        user._xsreform_roles = frozenset(user.groups.values_list("name", flat=True))
    return user._xsreform_roles


def is_reform_office(user) -> bool:
    return user.is_authenticated and (user.is_superuser or REFORM_OFFICE in role_names(user))


def is_leader(user) -> bool:
    return LEADER in role_names(user)
