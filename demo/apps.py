from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo of `make run`: a believable year built through the other
    apps' services. Above every app; nothing imports it."""

    name = "demo"
    verbose_name = _("演示数据")
