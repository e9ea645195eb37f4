"""The site's URLs plus /bench/hello/, the floor of bench/province.py: a
Django view that does nothing, behind the same middleware as every page.
Mounted only by bench/settings.py, never in the site itself."""

from django.http import HttpResponse
from django.urls import path

from xsreform.urls import urlpatterns as site_urlpatterns


def hello(request):
    return HttpResponse("hello", content_type="text/plain")


urlpatterns = [path("bench/hello/", hello), *site_urlpatterns]
