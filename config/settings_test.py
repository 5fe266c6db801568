"""Test settings: the same settings, with fast hashing and eager tasks."""

import os

os.environ.setdefault("DJANGO_DEBUG", "true")
os.environ.setdefault("DJANGO_SECURE", "false")

from config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
ALLOWED_HOSTS = ["*"]
# django-axes needs the request in authenticate(); the test client's login() passes none.
# tests/platform/test_hardening.py turns it back on to test the lock-out.
AXES_ENABLED = False

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    # A runaway query fails its test within minutes instead of eating CI's whole budget.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c statement_timeout=180000"  # noqa: F405
