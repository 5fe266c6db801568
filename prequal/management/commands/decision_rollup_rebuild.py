"""Count every decision again into the decisions' rollup: `manage.py decision_rollup_rebuild`.

The rollup (prequal.models.rollup) is kept by the decision services; rebuild it after loading
assessments past the services (a restore, a bulk load by SQL).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from prequal.services.decision_rollup import decision_rollup_rebuild


class Command(BaseCommand):
    help = "Count every decision again into the decisions' rollup (per operator, month and outcome)."

    def handle(self, *args, **options) -> None:
        rows = decision_rollup_rebuild()
        self.stdout.write(f"{rows} decision rollup rows.")
