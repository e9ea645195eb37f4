from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

admin.site.site_header = "萧山区“最多跑一次”改革任务管理"
admin.site.site_title = "xsreform"
admin.site.index_title = "管理"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", RedirectView.as_view(pattern_name="admin:index"), name="home"),
]
