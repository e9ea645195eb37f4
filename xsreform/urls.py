from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from tasks import views as task_views

admin.site.site_header = _("萧山区“最多跑一次”改革任务管理")
admin.site.site_title = "xsreform"
admin.site.index_title = _("管理")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("login/", task_views.LoginView.as_view(), name="login"),
    path("logout/", task_views.LogoutView.as_view(), name="logout"),
    path("tasks/", include("tasks.urls")),
    path("", task_views.home, name="home"),
]
