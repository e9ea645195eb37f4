import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xsreform.settings")

app = Celery("xsreform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(related_name="jobs")
