from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import pgettext_lazy


class DepartmentsConfig(AppConfig):
    name = "departments"
    # 单位 is "unit" in field labels; as the admin's section it means "units".
    verbose_name = pgettext_lazy("app name", "单位")

    def ready(self):
        from .roles import ensure_role_groups

        post_migrate.connect(ensure_role_groups, dispatch_uid="departments.ensure_role_groups")
