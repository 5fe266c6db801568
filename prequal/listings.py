"""The columns of prequal's lists, declared once for the page's headers, its sort keys and its
CSV/XLSX export (common.listing): the SO queue, the applications, SPUs and SPGs."""

from __future__ import annotations

import zoneinfo

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.listing import Column, ListSpec


def _resource(case) -> str:
    return f"{gettext('SPU')} {case.spu.code}" if case.spu_id else f"{gettext('SPG')} {case.spg.code}"


def _connecting_so(case) -> str:
    return str(case.spu.connection_point.connecting_so) if case.spu_id else ""


def _deadline(assessment):
    """The deadline in the assessing operator's own time zone, as the queue page shows it (naive,
    so the export writes it as it is rather than in the site's zone)."""
    if assessment.deadline is None:
        return None
    zone = zoneinfo.ZoneInfo(assessment.system_operator.time_zone)
    return timezone.localtime(assessment.deadline, zone).replace(tzinfo=None)


def _active(obj) -> str:
    return gettext("Active") if obj.is_active else gettext("Deactivated")


QUEUE_LIST = ListSpec(
    name="queue",
    columns=(
        Column("case", _("Case"), ("case_id",), lambda a: a.case_id),
        Column("resource", _("SPU / SPG"), ("case__spu__code", "case__spg__code"),
               lambda a: _resource(a.case)),
        Column("fsp", _("FSP"), ("case__fsp__organisation__name",), lambda a: str(a.case.fsp)),
        Column("product", _("Product"), ("case__product__code",), lambda a: str(a.case.product)),
        Column("connecting_so", _("Connecting SO"),
               ("case__spu__connection_point__connecting_so__organisation__name",),
               lambda a: _connecting_so(a.case)),
        Column("assessing_so", _("Assessing SO"), ("system_operator__organisation__name",),
               lambda a: str(a.system_operator)),
        Column("status", _("Status"), ("status",), lambda a: a.get_status_display()),
        Column("deadline", _("Deadline"), ("deadline",), _deadline),
        Column("legal_basis", _("Legal basis"), (),
               lambda a: a.deadline_rule.legal_basis if a.deadline_rule_id else "", page=False),
        Column("days_left", _("Days left"), css="num"),
    ),
    search=(
        "case__spu__code__icontains", "case__spu__name__icontains", "case__spg__code__icontains",
        "case__spg__name__icontains", "case__spu__connection_point__gsrn__contains",
        "case__fsp__organisation__name__icontains",
    ),
    search_help=_("Code, name, GSRN or FSP"),
)

CASE_LIST = ListSpec(
    name="applications",
    columns=(
        Column("case", _("Case"), ("pk",), lambda c: c.pk),
        Column("resource", _("SPU / SPG"), ("spu__code", "spg__code"), _resource),
        Column("product", _("Product"), ("product__code",), lambda c: str(c.product)),
        Column("fsp", _("FSP"), ("fsp__organisation__name",), lambda c: str(c.fsp)),
        Column("status", _("Status"), ("status",), lambda c: c.get_status_display()),
        Column("silenced", _("Approvals by silence"), (), lambda c: c.silenced, page=False),
        Column("submitted", _("Submitted"), ("submitted_at",), lambda c: c.submitted_at),
        Column("decided", _("Decided"), ("decided_at",), lambda c: c.decided_at),
    ),
    search=(
        "spu__code__icontains", "spu__name__icontains", "spg__code__icontains", "spg__name__icontains",
        "spu__connection_point__gsrn__contains", "fsp__organisation__name__icontains",
    ),
    search_help=_("Code, name, GSRN or FSP"),
)

SPU_LIST = ListSpec(
    name="spus",
    columns=(
        Column("code", _("Code"), ("code",), lambda s: s.code),
        Column("name", _("Name"), ("name",), lambda s: s.name),
        Column("fsp", _("FSP"), ("fsp__organisation__name",), lambda s: str(s.fsp)),
        Column("technology", _("Technology"), ("technology",), lambda s: s.get_technology_display()),
        Column("up", _("Up (kW)"), ("max_up_kw",), lambda s: s.max_up_kw, css="num"),
        Column("down", _("Down (kW)"), ("max_down_kw",), lambda s: s.max_down_kw, css="num"),
        Column("gsrn", _("Connection point"), ("connection_point__gsrn",), lambda s: s.connection_point.gsrn),
        Column("connecting_so", _("Connecting SO"), ("connection_point__connecting_so__organisation__name",),
               lambda s: str(s.connection_point.connecting_so)),
        Column("zone", _("Zone"), ("connection_point__bidding_zone",),
               lambda s: s.connection_point.bidding_zone),
        Column("status", _("Status"), ("is_active",), _active),
    ),
    search=(
        "code__icontains", "name__icontains", "connection_point__gsrn__contains",
        "fsp__organisation__name__icontains",
    ),
)

SPG_LIST = ListSpec(
    name="spgs",
    columns=(
        Column("code", _("Code"), ("code",), lambda s: s.code),
        Column("name", _("Name"), ("name",), lambda s: s.name),
        Column("fsp", _("FSP"), ("fsp__organisation__name",), lambda s: str(s.fsp)),
        Column("zone", _("Bidding zone"), ("bidding_zone",), lambda s: s.bidding_zone),
        Column("members", _("Memberships"), ("member_count",), lambda s: s.member_count, css="num"),
        Column("status", _("Status"), ("is_active",), _active),
    ),
    search=("code__icontains", "name__icontains", "fsp__organisation__name__icontains"),
)
