import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Token clients of the activation check skip the browser middleware (common/lean.py).
from common.lean import lean_dispatch  # noqa: E402  (after django.setup())

application = lean_dispatch(application)

# Everything loaded so far lives as long as the process: keep it out of the garbage collector's
# full passes, which otherwise stop a worker for milliseconds now and then (the activation
# check's p99, SPEC §7). Forked workers also share these pages longer (copy-on-write).
gc.freeze()
