"""The connection-point picker (common.pickers): the points the user reads, found by GSRN."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from common.pickers import PickerLookup, picker_tiers
from observability.models import ConnectionPoint
from observability.selectors import connection_point_list_for_user


def _scope(user, params: dict) -> QuerySet[ConnectionPoint]:
    return connection_point_list_for_user(user=user)


def _resolve(qs: QuerySet[ConnectionPoint], text: str) -> list[ConnectionPoint]:
    q = Q(gsrn=text)
    if text.isdigit() and len(text) < 12:
        q |= Q(pk=int(text))
    rows = list(qs.filter(q)[:2])
    return picker_tiers([[p for p in rows if p.gsrn == text], [p for p in rows if str(p.pk) == text]])


def _search(qs: QuerySet[ConnectionPoint], term: str) -> QuerySet[ConnectionPoint]:
    if term.isdigit():
        return qs.filter(gsrn__startswith=term)
    return qs.filter(connecting_so__organisation__name__icontains=term)


CONNECTION_POINT_PICKER = PickerLookup(
    name=_("connection point"), url_name="observability:picker-connection-point", scope=_scope,
    resolve=_resolve, search=_search, label=lambda p: p.gsrn,
    detail=lambda p: f"{p.connecting_so} · {p.bidding_zone}",
)
