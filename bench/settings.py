"""Production settings (xsreform.settings, from the environment) with one
difference: the URL configuration adds the benchmark's hello-world view."""

from xsreform.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
