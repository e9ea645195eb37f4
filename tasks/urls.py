from django.urls import path

from . import evidence_views, extension_views, instruction_views, plan_views, views

app_name = "tasks"

urlpatterns = [
    path("", views.my_tasks, name="mine"),
    path("all/", views.overview, name="overview"),
    path("all/export/", views.overview_export, name="overview_export"),
    path("all/review/", views.review_bulk, name="review_bulk"),
    path("<int:pk>/", views.task_detail, name="detail"),
    path("<int:pk>/report/", views.report_create, name="report"),
    path("<int:pk>/review/", views.task_review, name="review"),
    path("<int:pk>/extension/", extension_views.extension_create, name="extension_create"),
    path("extensions/", extension_views.extension_list, name="extensions"),
    path("extensions/<int:pk>/decide/", extension_views.extension_decide, name="extension_decide"),
    path("instructions/", instruction_views.instruction_list, name="instructions"),
    path("instructions/new/", instruction_views.instruction_create, name="instruction_create"),
    path("instructions/<int:pk>/reply/", instruction_views.instruction_reply, name="instruction_reply"),
    path("evidence/<int:pk>/", evidence_views.evidence_download, name="evidence"),
    path("evidence/<int:pk>/preview/", evidence_views.evidence_preview, name="evidence_preview"),
    path(
        "extensions/evidence/<int:pk>/",
        evidence_views.extension_evidence_download,
        name="extension_evidence",
    ),
    path(
        "extensions/evidence/<int:pk>/preview/",
        evidence_views.extension_evidence_preview,
        name="extension_evidence_preview",
    ),
    path("plans/<int:year>/close/", plan_views.plan_close, name="plan_close"),
    path("plans/<int:year>/carry-over/", plan_views.plan_carry_over, name="plan_carry_over"),
]
