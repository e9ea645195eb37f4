from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

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


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["user", "unit"]
    list_filter = ["unit"]
    search_fields = ["user__username", "user__first_name", "unit__name"]
    autocomplete_fields = ["user", "unit"]
