"""SPEC §4 kept as rows: the SPUs and SPGs each system operator reads.

An SO reads the SPUs at the connection points it connects and those of the cases it assesses
(an SPU's own cases, and the cases of the groups it is a member of); it reads the SPGs with a
member on its grid and those of the cases it assesses. Deciding that at read time meant, for
the TSO, collecting and sorting the 200,000 units of its assessments for every page of its SPU
list (3.2 s at SPEC §7's scale). Kept as rows, written by prequal.services.readers whenever
what decides them changes (an assessment opened, a unit registered or moved, a membership added
or removed), a page comes off one index in code order and the count reads one index range.

The rows are derived data: `manage.py so_readers_rebuild` writes them again from the rule.
"""

from __future__ import annotations

from django.db import models

from observability.models import ConnectionPoint, SystemOperator
from prequal.models.resources import Spg, Spu


class SpuReader(models.Model):
    """The system operator reads the SPU (SPEC §4). `spu_code`, `is_active` and
    `connection_point` copy the unit's, so that the operator's list, active or not, is one range
    of one index in code order, and its points need no join to the units."""

    # Indexed by the two below, which start with it.
    system_operator = models.ForeignKey(SystemOperator, models.CASCADE, related_name="+", db_index=False)
    spu = models.ForeignKey(Spu, models.CASCADE, related_name="readers")
    spu_code = models.CharField(max_length=64)
    is_active = models.BooleanField()
    # The unit's point: the operator reads it too (observability's point list, through
    # prequal.selectors.resources.connection_point_so_reader).
    connection_point = models.ForeignKey(ConnectionPoint, models.CASCADE, related_name="+", db_index=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["system_operator", "spu"], name="spu_reader_once"),
        ]
        indexes = [
            # A page in code order, active or not, and the count, from the index alone.
            models.Index(
                fields=["system_operator", "spu_code", "spu"], include=["is_active"], name="spu_reader_list"
            ),
        ]

    def __str__(self) -> str:
        return f"operator {self.system_operator_id} reads SPU {self.spu_id}"


class SpgReader(models.Model):
    """The system operator reads the SPG (SPEC §4)."""

    system_operator = models.ForeignKey(SystemOperator, models.CASCADE, related_name="+")
    spg = models.ForeignKey(Spg, models.CASCADE, related_name="readers")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["system_operator", "spg"], name="spg_reader_once"),
        ]

    def __str__(self) -> str:
        return f"operator {self.system_operator_id} reads SPG {self.spg_id}"
