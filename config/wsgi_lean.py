"""The WSGI entry for market platforms: the activation check behind a short middleware list.

Served by its own gunicorn next to config.wsgi (README, Production); the reverse proxy sends
token requests for /api/activation-check/ here. It sets config.settings_lean whatever
DJANGO_SETTINGS_MODULE says, so both servers can share one environment.
"""

import os

os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings_lean"

from config.wsgi import application  # noqa: E402,F401  (the same setup, with the lean settings)
