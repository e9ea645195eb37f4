"""The dashboards. Their paths stayed under /tasks/dashboard/ when they moved
out of the tasks app (bookmarks keep working); xsreform/urls.py includes
them there."""

from django.urls import path

from . import bulletin_views, completeness_views, views

app_name = "dashboards"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("report.xlsx", views.monthly_report, name="report"),
    path("report.docx", bulletin_views.bulletin, name="bulletin"),
    path("bulletin/templates/", bulletin_views.bulletin_templates, name="bulletin_templates"),
    path("completeness/", completeness_views.completeness, name="completeness"),
    path("completeness.xlsx", completeness_views.completeness_export, name="completeness_export"),
    path("completeness/mine/", completeness_views.unit_completeness, name="unit_completeness_mine"),
    path("completeness/unit/<int:pk>/", completeness_views.unit_completeness, name="unit_completeness"),
]
