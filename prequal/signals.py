"""Signals of prequal for the apps above it (which prequal may not import).

`readers_changing` and `readers_changed` are sent by prequal.services.readers just before and
just after the reader rows of some SPUs (sender SpuReader, `resources` a queryset of Spu) or
SPGs (sender SpgReader, a queryset of Spg) are written again, in the same transaction: an app
keeping figures per reading operator takes what they counted for the former readers off, then
adds them for the new ones (register.services.grid_slots).

`memberships_changed` is sent by prequal.services.resources after the memberships of some SPGs
(`spg_ids`) are added, ended or removed, in the same transaction: an app keeping what is held at
each member's point writes those groups' rows again (register.services.held_points);
`units_moved` after some SPUs (`spu_ids`) moved to another connection point: such an app moves
their rows.
"""

from __future__ import annotations

from django.dispatch import Signal

readers_changing = Signal()
readers_changed = Signal()
memberships_changed = Signal()
units_moved = Signal()
