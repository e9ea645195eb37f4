from django.contrib.auth.models import AnonymousUser
from django.utils.functional import SimpleLazyObject

from . import access


def portal(request):
    """What the navigation bar needs to know about the user, evaluated only
    when a template asks (the login page asks nothing)."""
    user = getattr(request, "user", None) or AnonymousUser()

    def roles():
        return {
            "has_units": bool(access.unit_ids(user)),
            "reads_all": access.reads_all(user),
            "is_reform_office": access.is_reform_office(user),
            "is_leader": access.is_leader(user),
        }

    return {"portal": SimpleLazyObject(roles)}
