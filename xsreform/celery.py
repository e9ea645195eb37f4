import os

from celery import Celery

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
