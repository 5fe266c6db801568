"""Add the activation register's monthly partitions ahead (PostgreSQL):
`manage.py register_partitions [--months N] [--dry-run]`."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from register.services.partitions import partitions_ensure


class Command(BaseCommand):
    help = "Create the activation register's partitions for this month and the next months (PostgreSQL)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--months", type=int, default=3, help="Months ahead of this one (default 3).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would be created; change nothing."
        )

    def handle(self, *args, months: int, dry_run: bool, **options) -> None:
        if not 0 <= months <= 120:
            raise CommandError("--months must be between 0 and 120.")
        if connection.vendor != "postgresql":
            self.stdout.write("Not PostgreSQL: the register is one table, no partitions to add.")
            return
        names = partitions_ensure(months_ahead=months, dry_run=dry_run)
        verb = "Would create" if dry_run else "Created"
        self.stdout.write(f"{verb} {len(names)} partition(s){': ' + ', '.join(names) if names else '.'}")
