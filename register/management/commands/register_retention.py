"""Remove the activation register's records older than the retention
(GRIDPREQUAL_REGISTER_RETENTION_DAYS; their figures stay in the rollup):
`manage.py register_retention [--dry-run]`."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from register.services.retention import register_retention_run


class Command(BaseCommand):
    help = "Remove the activation register's records older than the retention (the rollup keeps the figures)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count what would go; change nothing.")

    def handle(self, *args, dry_run: bool, **options) -> None:
        result = register_retention_run(dry_run=dry_run)
        days = settings.GRIDPREQUAL_REGISTER_RETENTION_DAYS
        if dry_run:
            self.stdout.write(
                f"Would remove {result.revisions_removed} revision(s) started before "
                f"{result.cutoff:%Y-%m-%d %H:%M} UTC ({days} days)."
            )
            return
        names = ", ".join(result.partitions_dropped)
        dropped = f"; partitions dropped: {names}" if names else ""
        self.stdout.write(
            f"Removed {result.revisions_removed} revision(s) and "
            f"{result.records_removed} record(s) started before {result.cutoff:%Y-%m-%d %H:%M} UTC "
            f"({days} days){dropped}; {result.slots_removed} slot(s) of My grid's summary."
        )
