import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xsreform.settings")

app = Celery("xsreform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(related_name="jobs")


@app.on_after_configure.connect
def _make_file_broker_folders(sender, **kwargs):
    """The demo's on-disk broker needs its folders before the first message."""
    from pathlib import Path

    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


@worker_init.connect
def _load_before_forking(**kwargs):
    """The URL patterns (~200 ms) and the digest templates, loaded once in
    the worker's main process: its pool's processes, forked from it, would
    otherwise each load them at their first digest (issue 15)."""
    from django.template.loader import get_template
    from django.urls import reverse

    reverse("reminders:notices")
    for name in ("reminder_digest", "escalation_digest"):
        for part in ("_subject.txt", ".txt", ".html"):
            get_template(f"reminders/email/{name}{part}")
