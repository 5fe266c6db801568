"""The WSGI entry for market platforms: the activation check behind a short middleware list.

Served by its own gunicorn next to config.wsgi (README, Production); the reverse proxy sends
token requests for /api/activation-check/ here. It sets config.settings_lean whatever
DJANGO_SETTINGS_MODULE says, so both servers can share one environment. Its handler
(config.lean_handler) answers a token POST to the check beneath the middleware chain, with the
same middleware's methods; everything else goes through the chain.
"""

import gc
import os
from importlib import import_module

import django

os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings_lean"
django.setup(set_prefix=False)  # as get_wsgi_application does

from django.conf import settings  # noqa: E402

from config.lean_handler import LeanWSGIHandler  # noqa: E402

application = LeanWSGIHandler()
import_module(settings.ROOT_URLCONF)  # loaded now, and kept by the freeze (config/wsgi.py)
gc.freeze()
