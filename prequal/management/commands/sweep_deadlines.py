"""Run the deadline sweep by hand: `manage.py sweep_deadlines [--dry-run] [--now ISO]`."""

from __future__ import annotations

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from prequal.services.sweep import DEFAULT_BATCH, deadlines_sweep


class _DryRun(Exception):
    pass


class Command(BaseCommand):
    help = "Apply due deadlines: approval by silence, reminders, supplement withdrawals, expiries."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would happen; change nothing."
        )
        parser.add_argument("--now", help="Sweep as of this ISO time (default: now), e.g. 2027-05-01T00:00Z.")
        parser.add_argument("--batch", type=int, default=DEFAULT_BATCH, help="Rows per transaction.")

    def handle(self, *args, dry_run: bool, now: str | None, batch: int, **options) -> None:
        at = timezone.now()
        if now:
            try:
                at = datetime.fromisoformat(now.replace("Z", "+00:00"))
            except ValueError as exc:
                raise CommandError(f"--now {now!r} is not an ISO date-time, e.g. 2027-05-01T00:00Z.") from exc
            if timezone.is_naive(at):
                raise CommandError("--now needs a time zone, e.g. 2027-05-01T00:00Z.")
        if batch < 1:
            raise CommandError("--batch must be at least 1.")
        if dry_run:
            result = None
            try:
                with transaction.atomic():
                    result = deadlines_sweep(now=at, batch=batch)
                    raise _DryRun
            except _DryRun:
                pass
            self.stdout.write(f"Dry run (nothing changed): would have {result}.")
            return
        result = deadlines_sweep(now=at, batch=batch)
        self.stdout.write(self.style.SUCCESS(f"Sweep at {at:%Y-%m-%d %H:%M:%S %Z}: {result}."))
