"""Make My grid's summary (GridSlot) and holdings (GridHolding), and what is held where
(HeldPoint, PostgreSQL), again from the register's records:
`manage.py register_grid_slots_rebuild [--dry-run]`. Kept at every write, so only needed after
loading records past the services (bench/register_data.py) or to check it."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from register.models import GridSlot, RecordRevision
from register.services.grid_holdings import grid_holdings_rebuild
from register.services.grid_slots import grid_slots_rebuild
from register.services.held_points import held_points_rebuild


class Command(BaseCommand):
    help = "Make My grid's summary (per operator and 15-minute slot) again from the register's records."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count what it reads; change nothing.")

    def handle(self, *args, dry_run: bool, **options) -> None:
        if dry_run:
            current = RecordRevision.objects.filter(is_current=True).count()
            self.stdout.write(
                f"Would read {current} current revision(s); {GridSlot.objects.count()} slot row(s) now."
            )
            return
        self.stdout.write(f"My grid's summary made again: {grid_slots_rebuild()} slot row(s).")
        self.stdout.write(f"My grid's holdings made again: {grid_holdings_rebuild()} row(s).")
        self.stdout.write(f"What is held where made again: {held_points_rebuild()} row(s).")
