"""Create (or show) a market platform API client, register it for system operators, and print
its token.

    manage.py market_platform_client "Nordic balancing platform" --system-operator 10X1001A1001A418

A client asks the activation check only as the operators it is registered for (SPEC R8, §4);
each --system-operator (an EIC code, repeatable) adds one. The admin edits the list too.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token

from accounts.models import User
from limits.models import MarketPlatformClient
from observability.models import SystemOperator


class Command(BaseCommand):
    help = "Create a market platform client (a user allowed to ask the activation check) and print its token."

    def add_arguments(self, parser):
        parser.add_argument("name", help="The platform's name, e.g. 'Nordic balancing platform'.")
        parser.add_argument("--username", help="Login name of its API user (default: derived from the name).")
        parser.add_argument(
            "--system-operator",
            action="append",
            default=[],
            metavar="EIC",
            help="Register the client for this system operator (EIC code; repeat for several).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be created; change nothing."
        )

    def handle(
        self, *args, name: str, username: str | None, system_operator: list[str], dry_run: bool, **options
    ) -> None:
        username = username or "platform-" + "-".join(name.lower().split())[:100]
        operators = []
        for eic in system_operator:
            so = SystemOperator.objects.filter(organisation__eic_code=eic.strip().upper()).first()
            if so is None:
                raise CommandError(f"No system operator with EIC code {eic!r}: nothing changed.")
            operators.append(so)
        existing = MarketPlatformClient.objects.filter(user__username=username).select_related("user").first()
        if dry_run:
            self.stdout.write(
                f"Would {'keep' if existing else 'create'} market platform client {name!r} ({username})"
                f", registered for {len(operators)} more operator(s)."
            )
            return
        with transaction.atomic():
            if existing is None:
                user, _ = User.objects.get_or_create(username=username)
                existing = MarketPlatformClient.objects.create(user=user, name=name)
            existing.system_operators.add(*operators)
            token, _ = Token.objects.get_or_create(user=existing.user)
        operators = existing.system_operators.select_related("organisation")
        registered = ", ".join(sorted(so.organisation.eic_code for so in operators))
        self.stdout.write(
            f"Market platform client {existing.name!r} ({username}), registered for "
            f"{registered or 'no operator yet'}: token {token.key}"
        )
