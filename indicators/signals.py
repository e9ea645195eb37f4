from django.dispatch import Signal

# Sent, inside the writing transaction, after a plan's indicators or their
# units changed in bulk (an import). Receivers keep derived rows in step.
plan_changed = Signal()  # sender=Plan, kwargs: plan, now (None: the clock)

# Sent after the transaction that moved a plan from one status to another
# committed (indicators.services.plan_*). The reminders notify units of an
# adoption and drop the notices of a plan that no longer runs.
plan_status_changed = Signal()  # sender=Plan, kwargs: plan, old, new, user
