"""The dashboards. Their paths stayed under /tasks/dashboard/ when they moved
out of the tasks app (bookmarks keep working); xsreform/urls.py includes
them there."""

from django.urls import path

from . import views

app_name = "dashboards"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("report.xlsx", views.monthly_report, name="report"),
]
