"""My grid's summary follows who reads a resource (prequal.signals): what the resource's records
hold is taken off its former readers' slots before its reader rows are written again, and added
to the new readers' slots after (register.services.grid_slots), and its holdings written again
for its new readers (register.services.grid_holdings), in the same transaction."""

from __future__ import annotations

from django.dispatch import receiver

from prequal.models.readers import SpgReader, SpuReader
from prequal.signals import readers_changed, readers_changing
from register.services.grid_holdings import grid_holdings_resources
from register.services.grid_slots import grid_slots_resources


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
