"""What the e-mail notifications share: links into the site, recipients in their own language.

One message per recipient, so addresses of other organisations are never disclosed; each is
written in the recipient's language (User.language, else settings.LANGUAGE_CODE).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import groupby

from django.conf import settings
from django.core import checks
from django.core.mail import EmailMessage, get_connection
from django.utils import translation

SUBJECT_PREFIX = "[gridprequal] "


def site_url(path: str) -> str:
    """`path` on the installation's public address (settings.GRIDPREQUAL_PUBLIC_URL)."""
    return settings.GRIDPREQUAL_PUBLIC_URL.rstrip("/") + path


@checks.register(checks.Tags.security, deploy=True)
def check_public_url(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Read by `manage.py check --deploy`: without a public address e-mail links have no host."""
    if getattr(settings, "GRIDPREQUAL_PUBLIC_URL", ""):
        return []
    return [checks.Warning(
        "GRIDPREQUAL_PUBLIC_URL is not set: links in e-mails would have no host.",
        hint="Set it to the address users open, e.g. https://gridprequal.example.org.",
        id="gridprequal.W001",
    )]


def recipients(users: Iterable) -> list[tuple[str, str]]:
    """(address, language) for each user with an address, once per address, sorted."""
    seen: dict[str, str] = {}
    for user in users:
        if user.email and user.email not in seen:
            seen[user.email] = user.email_language
    return sorted(seen.items())


def in_each_language(addressed: Iterable[tuple[str, str]]) -> Iterator[list[str]]:
    """The addresses grouped by language, with that language active while the caller writes the
    message for the group (subject and body)."""
    by_language = sorted(set(addressed), key=lambda pair: (pair[1], pair[0]))
    for language, group in groupby(by_language, key=lambda pair: pair[1]):
        with translation.override(language):
            yield [address for address, _language in group]


def messages_to(addresses: Iterable[str], *, subject: str, body: str) -> list[EmailMessage]:
    return [EmailMessage(SUBJECT_PREFIX + subject, body, to=[address]) for address in addresses]


def send(messages: list[EmailMessage]) -> int:
    """Send over one connection; returns the number sent."""
    if not messages:
        return 0
    with get_connection() as connection:
        return connection.send_messages(messages) or 0
