"""Settings of the lean entry for market platforms (config/wsgi_lean.py): the activation check only.

Market platforms ask the activation check per bid (SPEC §7: ≥ 1,000 answers/s on two cores).
For a token client the browser middleware does nothing useful: no session, no CSRF (token
clients are not browsers), no messages, no static files, no login throttling. This process
serves the same view as the full application (config.lean_urls), behind a short middleware list
that keeps what an API answer needs: SecurityMiddleware (HTTPS redirect, HSTS, nosniff,
referrer policy), LocaleMiddleware (answers in the caller's language), CommonMiddleware
(Content-Length: the proxy reads an answer whole without chunked decoding),
X-Frame-Options, and Content-Security-Policy/Permissions-Policy. Everything else is
config.settings: production differs only by the entry it serves (README, Production).
"""

from config.settings import *  # noqa: F403

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "common.middleware.SecurityHeadersMiddleware",
]
ROOT_URLCONF = "config.lean_urls"
WSGI_APPLICATION = "config.wsgi_lean.application"
# The admin and django-axes ask for middleware this process leaves out on purpose: it serves
# neither the admin nor a login (config.lean_urls has the activation check only).
SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "admin.E408", "admin.E409", "admin.E410", "axes.W002"]  # noqa: F405
