"""The plan's pages in the portal (not the admin): the plan and its year,
the consultation (征求意见) and the office's table of the units' feedback."""

from django.urls import path

from . import target_views, views

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
    # The office's page of the plan's targets (target_views).
    path("targets/", target_views.targets_current, name="targets_current"),
    path("<int:year>/targets/", target_views.target_list, name="targets"),
    path("<int:year>/targets/<int:pk>/edit/", target_views.target_edit, name="target_edit"),
    *[
        path(
            f"<int:year>/targets/<int:pk>/{action}/",
            target_views.target_act,
            {"action": action},
            name=f"target_{action}",
        )
        for action in target_views.ACTIONS
    ],
]
