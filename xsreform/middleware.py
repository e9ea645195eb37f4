import logging

from django.conf import settings
from django.contrib import messages
from django.db import DataError
from django.http import HttpResponseRedirect
from django.middleware.locale import LocaleMiddleware
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Chinese for everyone unless they chose another language.

    Django's LocaleMiddleware follows the browser's Accept-Language, which
    would show English to anyone whose browser happens to be set up in
    English; here only the language cookie (set by the /i18n/setlang/ form)
    changes the language."""

    def process_request(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class PrivatePagesMiddleware:
    """Nothing shown to a signed-in user is kept by a browser or a proxy:
    pages, evidence files and exports alike (a shared office computer's
    cache, the back button after logging out). Keyed on the user rather
    than set per view, so a new page cannot forget it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response


class AdminBadQueryMiddleware:
    """The Django admin's lists take their filters straight from the query
    string: a NUL byte (which PostgreSQL cannot store in a text literal) or a
    date-hierarchy year of 99999999999 raised in the database layer, a 500.
    The admin has no forms to show such an error at, so the list is shown
    again without the bad filter, with a message, and the log says why."""

    ERRORS = (ValueError, OverflowError, DataError)

    def __init__(self, get_response):
        self.get_response = get_response
        self.prefix = None

    def _in_admin(self, request) -> bool:
        if self.prefix is None:
            self.prefix = reverse("admin:index")
        return request.path.startswith(self.prefix) and request.method in ("GET", "HEAD")

    def __call__(self, request):
        if self._in_admin(request) and any("\x00" in v for vs in request.GET.lists() for v in vs[1]):
            return self._start_over(request, "NUL byte in the query string")
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, self.ERRORS) and request.GET and self._in_admin(request):
            return self._start_over(request, f"{type(exception).__name__}: {exception}")
        return None

    def _start_over(self, request, why: str):
        logger.warning(
            "admin %s: query string refused (%s): %.200s", request.path, why, request.GET.urlencode()
        )
        messages.error(request, _("筛选条件无效，已清除。"))
        return HttpResponseRedirect(request.path)
