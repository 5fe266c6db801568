import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Token clients of the activation check skip the browser middleware (common/lean.py).
from common.lean import lean_dispatch  # noqa: E402  (after django.setup())

application = lean_dispatch(application)
