"""Writes of the forecasts app: grid zones and publications."""

from forecasts.services.publications import PublicationRefused, publication_create
from forecasts.services.zones import grid_zone_can_manage, grid_zone_upload, grid_zone_version_store

__all__ = [
    "PublicationRefused",
    "grid_zone_can_manage",
    "grid_zone_upload",
    "grid_zone_version_store",
    "publication_create",
]
