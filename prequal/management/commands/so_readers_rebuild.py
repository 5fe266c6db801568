"""Write every SO reader row again from SPEC §4's rule: `manage.py so_readers_rebuild`.

The rows (prequal.models.readers) are kept by the services; rebuild them after loading data
past the services (a restore, a bulk load by SQL).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from prequal.services.readers import so_readers_rebuild


class Command(BaseCommand):
    help = "Write again which SPUs and SPGs each system operator reads (SPEC §4)."

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            spus, spgs = so_readers_rebuild()
        self.stdout.write(f"{spus} SPU reader rows, {spgs} SPG reader rows.")
