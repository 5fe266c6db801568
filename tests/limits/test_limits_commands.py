"""manage.py market_platform_client: a platform API user with a token that may ask the check."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from limits.models import MarketPlatformClient
from limits.selectors import activation_caller_kind


def test_it_creates_a_client_once_and_prints_its_token(db):
    out = StringIO()
    call_command("market_platform_client", "Nordic platform", "--dry-run", stdout=out)
    assert "Would create" in out.getvalue() and MarketPlatformClient.objects.count() == 0
    call_command("market_platform_client", "Nordic platform", stdout=out)
    call_command("market_platform_client", "Nordic platform", stdout=out)
    client = MarketPlatformClient.objects.get()
    assert client.user.username == "platform-nordic-platform"
    assert client.user.auth_token.key in out.getvalue()
    assert activation_caller_kind(user=client.user) == "platform"
