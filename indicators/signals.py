from django.dispatch import Signal

# Sent, inside the writing transaction, after a plan's indicators or their
# units changed in bulk (an import). Receivers keep derived rows in step.
plan_changed = Signal()  # sender=Plan, kwargs: plan, now (None: the clock)
