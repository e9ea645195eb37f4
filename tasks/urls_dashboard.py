"""The dashboards, included by tasks/urls.py under /tasks/dashboard/ in the
tasks namespace."""

from django.urls import path

from . import views_dashboard

urlpatterns = [
    path("", views_dashboard.overview, name="dashboard"),
    path("report.xlsx", views_dashboard.monthly_report, name="dashboard_report"),
]
