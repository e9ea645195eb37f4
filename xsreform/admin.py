"""The portal's admin site: the business sections first, in the order the
office works (plans → tasks → reminders → units → users), and the
machinery (login lockouts of django-axes, schedules of django-celery-beat)
gathered in one 系统 section at the end, with Chinese names (neither
package ships a Chinese name for these)."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

BUSINESS_ORDER = ["indicators", "tasks", "reminders", "dashboards", "departments", "auth"]
SYSTEM_APPS = ["axes", "django_celery_beat"]
SYSTEM_NAMES = {
    "AccessAttempt": _("登录失败与锁定"),
    "AccessFailureLog": _("登录失败日志"),
    "AccessLog": _("登录日志"),
    "PeriodicTask": _("定时任务"),
    "CrontabSchedule": _("定时规则（按时刻）"),
    "IntervalSchedule": _("定时规则（按间隔）"),
    "ClockedSchedule": _("定时规则（一次性）"),
    "SolarSchedule": _("定时规则（按日出日落）"),
}


class PortalAdminSite(admin.AdminSite):
    site_header = _("萧山区“最多跑一次”改革任务管理")
    site_title = _("改革任务管理")
    index_title = _("管理")

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        business = [app for app in apps if app["app_label"] not in SYSTEM_APPS]
        business.sort(key=lambda app: _position(app["app_label"]))
        system_models = []
        for app in apps:
            if app["app_label"] in SYSTEM_APPS:
                for model in app["models"]:
                    model["name"] = SYSTEM_NAMES.get(model["object_name"], model["name"])
                    system_models.append(model)
        if not system_models:
            return business
        system = {
            "name": _("系统"),
            "app_label": "system",
            "app_url": reverse("admin:index", current_app=self.name),
            "has_module_perms": True,
            "models": system_models,
        }
        return [*business, system]


def _position(app_label: str) -> int:
    return BUSINESS_ORDER.index(app_label) if app_label in BUSINESS_ORDER else len(BUSINESS_ORDER)


class PortalAdminConfig(AdminConfig):
    default_site = "xsreform.admin.PortalAdminSite"

    def ready(self):
        super().ready()
        from django.apps import apps

        # The two packages' section names ("Axes", "Periodic Tasks") show in
        # breadcrumbs; in this portal both are the 系统 section.
        for label in SYSTEM_APPS:
            apps.get_app_config(label).verbose_name = _("系统")
        from . import admin_system

        admin_system.register(admin.site)
