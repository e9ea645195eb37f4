from django.apps import AppConfig
from django.db.models.signals import post_migrate


class DepartmentsConfig(AppConfig):
    name = "departments"
    verbose_name = "单位"

    def ready(self):
        from .roles import ensure_role_groups

        post_migrate.connect(ensure_role_groups, dispatch_uid="departments.ensure_role_groups")
