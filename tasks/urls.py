from django.urls import path

from . import views

app_name = "tasks"

urlpatterns = [
    path("", views.my_tasks, name="mine"),
    path("all/", views.overview, name="overview"),
    path("<int:pk>/", views.task_detail, name="detail"),
    path("<int:pk>/report/", views.report_create, name="report"),
    path("<int:pk>/review/", views.task_review, name="review"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence"),
    path("plans/<int:year>/close/", views.plan_close, name="plan_close"),
    path("plans/<int:year>/carry-over/", views.plan_carry_over, name="plan_carry_over"),
]
