"""Reminder pages, in the tasks namespace (tasks:notices, tasks:notice_log,
tasks:notice_resend, tasks:remind)."""

from django.urls import path

from . import notice_views

urlpatterns = [
    path("notices/", notice_views.notice_list, name="notices"),
    path("notices/all/", notice_views.notice_log, name="notice_log"),
    path("notices/<int:pk>/resend/", notice_views.notice_resend, name="notice_resend"),
    path("<int:pk>/remind/", notice_views.task_remind, name="remind"),
]
