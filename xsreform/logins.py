"""Login throttling (django-axes), wired in by the AXES_* callables in
settings.py: whose address a login comes from, what gets locked after
repeated failures, and the page that says so.

- The client's address is REMOTE_ADDR, unless TRUSTED_PROXY_COUNT reverse
  proxies stand in front of the app: then it is the one the outermost of them
  saw, the Nth entry of X-Forwarded-For counted from the right. Entries
  further left were written by the client and are never believed.
- A (username, address) pair is locked after AXES_FAILURE_LIMIT failures, so
  failing from one address locks nobody out anywhere else.
- So that many addresses cannot share out the guessing, the username is
  also locked after that many failures in all, but only for addresses it has
  never logged in from: the user at an address where they logged in before
  (axes' AccessLog) still gets in, subject to that address's own count.
"""

from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessBase, AccessLog
from django.conf import settings
from django.shortcuts import render
from ipware.ip import get_client_ip

PAIR = ["username", "ip_address"]


def client_ip(request) -> str | None:
    """AXES_CLIENT_IP_CALLABLE. django-ipware parses X-Forwarded-For (ports,
    IPv6 brackets, junk entries); the arguments pin the position. It counts
    only the proxies named inside the header (the nearest one is
    REMOTE_ADDR), hence count - 1; strict=False, because strict mode rejects
    a chain that starts with an address the client made up, and would fall
    back to the proxy's address. Axes' own AXES_IPWARE_* settings cannot say
    this: with them the lookup also prefers a public REMOTE_ADDR to a private
    client address."""
    remote_addr = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT
    if not count:
        return remote_addr
    address, _routable = get_client_ip(
        request, proxy_count=count - 1, request_header_order=["HTTP_X_FORWARDED_FOR"], strict=False
    )
    # No X-Forwarded-For, or fewer entries than proxies: the request did not
    # come through all of them, and its own peer is all we know.
    return address or remote_addr


def _known_address(request_or_attempt, credentials=None) -> bool:
    """Whether this username has logged in from this address before. Asked
    several times per login attempt: the answer is kept on the request."""
    if isinstance(request_or_attempt, AccessBase):
        username, address = request_or_attempt.username, request_or_attempt.ip_address
    else:
        username = get_client_username(request_or_attempt, credentials)
        address = request_or_attempt.axes_ip_address
    if not username or not address:
        return False
    cache = request_or_attempt.__dict__.setdefault("_xsreform_known_addresses", {})
    if (username, address) not in cache:
        cache[username, address] = AccessLog.objects.filter(username=username, ip_address=address).exists()
    return cache[username, address]


def lockout_parameters(request_or_attempt, credentials=None) -> list:
    """AXES_LOCKOUT_PARAMETERS: the pair always; the username across all
    addresses, except from an address it has logged in from."""
    if _known_address(request_or_attempt, credentials):
        return [PAIR]
    return [PAIR, "username"]


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: axes' page, telling a user at a new address that
    the account is locked for new addresses only. At a known address only the
    pair can be locked; at a new one the username count has reached the limit
    whenever the pair's has."""
    context = {
        "failure_limit": get_failure_limit(request, credentials),
        "cooloff_timedelta": get_cool_off(request),
        "known_address": _known_address(request, credentials),
    }
    return render(request, "registration/locked_out.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)
