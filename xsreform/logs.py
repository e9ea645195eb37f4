"""Logging pieces named in settings.LOGGING."""

import logging


class ClientErrorWithoutTraceback(logging.Filter):
    """A refused request (403, 404 …) is the client's doing, not a bug: Django
    logs it on django.request with the exception attached; keep the one
    warning line and drop the traceback. Server errors keep theirs."""

    def filter(self, record):
        status = getattr(record, "status_code", None)
        if status is not None and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
