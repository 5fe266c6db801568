"""Create (or show) a market platform API client and print its token.

    manage.py market_platform_client "Nordic balancing platform"
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction
from rest_framework.authtoken.models import Token

from accounts.models import User
from limits.models import MarketPlatformClient


class Command(BaseCommand):
    help = "Create a market platform client (a user allowed to ask the activation check) and print its token."

    def add_arguments(self, parser):
        parser.add_argument("name", help="The platform's name, e.g. 'Nordic balancing platform'.")
        parser.add_argument("--username", help="Login name of its API user (default: derived from the name).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be created; change nothing."
        )

    def handle(self, *args, name: str, username: str | None, dry_run: bool, **options) -> None:
        username = username or "platform-" + "-".join(name.lower().split())[:100]
        existing = MarketPlatformClient.objects.filter(user__username=username).select_related("user").first()
        if dry_run:
            self.stdout.write(
                f"Would {'keep' if existing else 'create'} market platform client {name!r} ({username})."
            )
            return
        with transaction.atomic():
            if existing is None:
                user, _ = User.objects.get_or_create(username=username)
                existing = MarketPlatformClient.objects.create(user=user, name=name)
            token, _ = Token.objects.get_or_create(user=existing.user)
        self.stdout.write(f"Market platform client {existing.name!r} ({username}): token {token.key}")
