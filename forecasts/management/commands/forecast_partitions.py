"""Make the forecast value table's monthly partitions ahead: `manage.py forecast_partitions [--months N]`."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from forecasts.partitions import forecast_partitions_keep_ahead


class Command(BaseCommand):
    help = "Create the monthly partitions of the forecast value table (PostgreSQL) for the months ahead."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--months", type=int, default=3, help="Months after this one (default 3)."
        )

    def handle(self, *args, months: int, **options) -> None:
        if not 0 <= months <= 120:
            raise CommandError("--months must be between 0 and 120.")
        names = forecast_partitions_keep_ahead(now=timezone.now(), ahead=months)
        if not names:
            self.stdout.write(
                "No partitions on this database (only PostgreSQL partitions the table)."
            )
            return
        self.stdout.write(f"{len(names)} monthly partitions present: {names[0]} … {names[-1]}")
