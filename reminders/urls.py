"""Reminder pages. Their paths stayed under /tasks/ when they moved out of
the tasks app (bookmarks and links in e-mails already sent); xsreform/urls.py
includes them there."""

from django.urls import path

from . import views

app_name = "reminders"

urlpatterns = [
    path("notices/", views.notice_list, name="notices"),
    path("notices/all/", views.notice_log, name="notice_log"),
    path("notices/<int:pk>/resend/", views.notice_resend, name="notice_resend"),
    path("<int:pk>/remind/", views.task_remind, name="remind"),
    path("notices/channels/", views.channel_list, name="channels"),
    path("notices/channels/office/", views.channel_edit, name="channel_office"),
    path("notices/channels/<int:unit_id>/", views.channel_edit, name="channel_edit"),
    path("remind/", views.remind_bulk, name="remind_bulk"),
]
