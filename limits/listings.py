"""The columns of the temporary limits list, declared once for the page's headers, its sort keys
and its CSV/XLSX export (common.listing)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from common.listing import Column, ListSpec


def _fsp(limit) -> str:
    resource = limit.spu if limit.spu_id else limit.spg if limit.spg_id else None
    return str(resource.fsp) if resource is not None else ""


LIMIT_LIST = ListSpec(
    name="temporary-limits",
    columns=(
        Column("id", "#", ("pk",), lambda limit: limit.pk),
        Column("operator", _("Operator"), ("system_operator__organisation__name",),
               lambda limit: str(limit.system_operator)),
        Column("target", _("Target"), ("target_kind", "spu__code", "spg__code", "connection_point__gsrn"),
               lambda limit: limit.target_label),
        Column("fsp", _("FSP"), (), _fsp, page=False),
        Column("direction", _("Direction"), ("direction",), lambda limit: limit.get_direction_display()),
        Column("mw", _("MW"), ("quantity_mw",), lambda limit: limit.quantity_mw, css="num"),
        Column("start", _("From (local time)"), ("start",), lambda limit: limit.start),
        Column("end", _("Until (local time)"), ("end",), lambda limit: limit.end),
        Column("status", _("Status"), (), lambda limit: limit.get_status_display()),
        Column("reason", _("Reason"), (), lambda limit: limit.reason),
    ),
    search=(
        "spu__code__icontains", "spg__code__icontains", "connection_point__gsrn__contains",
        "system_operator__organisation__name__icontains", "reason__icontains",
    ),
    search_help=_("Resource code, GSRN, operator or reason"),
)
