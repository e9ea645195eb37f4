"""The plan's pages in the portal (not the admin): the plan and its year,
the consultation (征求意见) and the office's table of the units' feedback."""

from django.urls import path

from . import views

app_name = "plans"

urlpatterns = [
    path("", views.plan_list, name="list"),
    path("<int:year>/", views.plan_detail, name="detail"),
    path("<int:year>/adopt/", views.plan_adopt, name="adopt"),
    path("<int:year>/consultation/open/", views.consultation_open, name="consultation_open"),
    path("<int:year>/consultation/", views.consultation_detail, name="consultation"),
    path("<int:year>/consultation/answer/", views.consultation_answer, name="answer"),
    path("<int:year>/feedback/", views.feedback, name="feedback"),
    path("<int:year>/feedback/<int:pk>/decide/", views.feedback_decide, name="decide"),
]
