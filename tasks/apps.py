from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = "任务落实"

    def ready(self):
        from . import receivers  # noqa: F401
