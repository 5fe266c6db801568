import gc
import os
from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
# The URLconf and the views it imports, loaded now rather than on the first request: the freeze
# below keeps them too.
import_module(settings.ROOT_URLCONF)

# Everything loaded so far lives as long as the process: keep it out of the garbage collector's
# full passes, which otherwise stop a worker for milliseconds now and then (the activation
# check's p99, SPEC §7). Forked workers also share these pages longer (copy-on-write).
gc.freeze()
