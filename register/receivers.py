"""What the register keeps per resource follows prequal (prequal.signals), in the same transaction:

- My grid's summary follows who reads a resource: what the resource's records hold is taken off
  its former readers' slots before its reader rows are written again, and added to the new
  readers' slots after (register.services.grid_slots), and its holdings written again for its new
  readers (register.services.grid_holdings);
- what is held where (register.services.held_points) follows a unit that moves, a point whose
  coordinates change, and a group whose members change."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from observability.models import ConnectionPoint
from prequal.models.readers import SpgReader, SpuReader
from prequal.signals import memberships_changed, readers_changed, readers_changing, units_moved
from register.services.grid_holdings import grid_holdings_resources
from register.services.grid_slots import grid_slots_resources
from register.services.held_points import held_points_groups, held_points_points, held_points_units


def _scope(sender, resources) -> dict:
    return {"spus": resources} if sender is SpuReader else {"spgs": resources} if sender is SpgReader else {}


@receiver(readers_changing, dispatch_uid="register.grid_slots.readers_changing")
def grid_slots_readers_leave(sender, *, resources, **kwargs) -> None:
    if scope := _scope(sender, resources):
        grid_slots_resources(**scope, sign=-1)


@receiver(readers_changed, dispatch_uid="register.grid_slots.readers_changed")
def grid_slots_readers_join(sender, *, resources, **kwargs) -> None:
    if scope := _scope(sender, resources):
        grid_slots_resources(**scope, sign=1)
    if sender is SpuReader:
        grid_holdings_resources(spus=resources)


@receiver(units_moved, dispatch_uid="register.held_points.units_moved")
def held_points_moved(sender, *, spu_ids, **kwargs) -> None:
    held_points_units(spu_ids=spu_ids)


@receiver(memberships_changed, dispatch_uid="register.held_points.memberships_changed")
def held_points_members(sender, *, spg_ids, **kwargs) -> None:
    held_points_groups(spg_ids=spg_ids)


@receiver(post_save, sender=ConnectionPoint, dispatch_uid="register.held_points.point_saved")
def held_points_point_saved(sender, *, instance, created, **kwargs) -> None:
    if not created:
        held_points_points(connection_point_ids=[instance.pk])
