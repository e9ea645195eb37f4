from django.contrib import admin
from django.http import HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from tasks import views as task_views


def favicon(request):
    """Browsers ask for /favicon.ico before reading a page's icon link."""
    return HttpResponseRedirect(static("favicon.ico"))


urlpatterns = [
    path("favicon.ico", favicon),
    # The admin pages of the models that moved from tasks to reminders
    # (issue 9): bookmarks of the old addresses land on the new ones.
    re_path(
        r"^admin/tasks/(?P<model>reminder|sweeprun|workdayoverride|holidayyear)/(?P<rest>.*)$",
        RedirectView.as_view(url="/admin/reminders/%(model)s/%(rest)s", query_string=True, permanent=True),
    ),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("login/", task_views.LoginView.as_view(), name="login"),
    path("logout/", task_views.LogoutView.as_view(), name="logout"),
    path("password/", task_views.PasswordChangeView.as_view(), name="password_change"),
    # The reminders' and dashboards' pages kept their /tasks/… paths when
    # they moved into apps of their own (bookmarks, links in e-mails sent).
    path("tasks/", include("tasks.urls")),
    path("tasks/", include("reminders.urls")),
    path("plans/", include("indicators.urls")),
    path("tasks/dashboard/", include("dashboards.urls")),
    path("units/", include("departments.urls")),
    path("", task_views.home, name="home"),
]
