"""The site's URLs plus two views of bench/province.py, mounted only by
bench/settings.py, never in the site itself:

- /bench/hello/, the floor: a Django view that does nothing, behind the same
  middleware as every page;
- /bench/empty/, the empty staff page: the portal's layout (base.html, with
  its navigation, unread count and footer) around no content, for a
  logged-in user — what every page costs before it does its own work."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path

from xsreform.urls import urlpatterns as site_urlpatterns


def hello(request):
    return HttpResponse("hello", content_type="text/plain")


@login_required
def empty(request):
    return render(request, "base.html")


urlpatterns = [path("bench/hello/", hello), path("bench/empty/", empty), *site_urlpatterns]
