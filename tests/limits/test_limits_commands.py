"""manage.py market_platform_client: a platform API user with a token, registered for the
operators it may ask the activation check as."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from limits.activation.access import PLATFORM, activation_caller
from limits.models import MarketPlatformClient


def test_it_creates_a_client_once_and_prints_its_token(db):
    out = StringIO()
    call_command("market_platform_client", "Nordic platform", "--dry-run", stdout=out)
    assert "Would create" in out.getvalue() and MarketPlatformClient.objects.count() == 0
    call_command("market_platform_client", "Nordic platform", stdout=out)
    call_command("market_platform_client", "Nordic platform", stdout=out)
    client = MarketPlatformClient.objects.get()
    assert client.user.username == "platform-nordic-platform"
    assert client.user.auth_token.key in out.getvalue()
    caller = activation_caller(user=client.user)
    assert caller.kind == PLATFORM and caller.so_ids == frozenset()  # registered for none: asks nothing


def test_it_registers_the_client_for_the_operators_named(cast):
    eic = cast.tso.organisation.eic_code
    call_command("market_platform_client", "Nordic platform", "--system-operator", eic, stdout=StringIO())
    client = MarketPlatformClient.objects.get()
    assert list(client.system_operators.all()) == [cast.tso]
    assert activation_caller(user=client.user).so_ids == {cast.tso.pk}


def test_an_unknown_operator_changes_nothing(cast):
    with pytest.raises(CommandError, match="No system operator"):
        call_command(
            "market_platform_client", "Nordic platform", "--system-operator", "10XUNKNOWN------",
            stdout=StringIO(),
        )
    assert not MarketPlatformClient.objects.exists()
