"""Sessions that last SESSION_COOKIE_AGE from the last request, not from the
login (settings.SESSION_ENGINE)."""

import datetime as dt

from django.contrib.sessions.backends import db
from django.utils import timezone

# How far the stored expiry may fall behind before a request moves it on: a
# session can end up to this much sooner than SESSION_COOKIE_AGE after the
# last request.
REFRESH_AFTER = dt.timedelta(minutes=5)


class SessionStore(db.SessionStore):
    """Database sessions, extended by use. Django's SESSION_SAVE_EVERY_REQUEST
    would write the session row on every request (a cached dashboard page
    would cost three queries instead of two); here a request marks the
    session modified, so that SessionMiddleware saves it with a new expiry
    and cookie, only once the stored expiry is REFRESH_AFTER behind."""

    def _get_session_from_db(self):
        session = super()._get_session_from_db()
        if session is not None:
            expiry_if_saved_now = timezone.now() + dt.timedelta(seconds=self.get_session_cookie_age())
            if session.expire_date < expiry_if_saved_now - REFRESH_AFTER:
                self.modified = True
        return session
