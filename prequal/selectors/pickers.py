"""Pickers for SPUs and SPGs (common.pickers): what a user may pick, scoped as the lists are.

An FSP finds only its own units, an SO those it reads (SPEC §4), the NRA all: each lookup
starts from spu_list_for_user / spg_list_for_user, so an exact GSRN or code of another FSP's
unit resolves to nothing, as if it did not exist. A suggestion matches the code or the name
(contains), the GSRN (starts with) or the FSP's name (contains); an exact key resolves by the
code, then the GSRN, then the name, then the id.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from common.pickers import PickerLookup, picker_tiers
from prequal.models import Spg, Spu
from prequal.selectors.resources import spg_list_for_user, spu_list_for_user

RESOLVE_MAX = 6  # enough to name a few candidates when a text is ambiguous


def _spu_scope(user, params: dict) -> QuerySet[Spu]:
    qs = spu_list_for_user(user=user, active=True if params.get("active") == "1" else None)
    if params.get("fsp", "").isdigit():
        qs = qs.filter(fsp_id=int(params["fsp"]))
    if params.get("zone"):
        qs = qs.filter(connection_point__bidding_zone=params["zone"])
    return qs


def _key_q(text: str, *, gsrn: str | None) -> Q:
    q = Q(code__iexact=text) | Q(name__iexact=text)
    if gsrn:
        q |= Q(**{gsrn: text})
    if text.isdigit() and len(text) < 12:
        q |= Q(pk=int(text))
    return q


def _tiers(rows: list, text: str, gsrn_of) -> list:
    lowered = text.casefold()
    return picker_tiers([
        [r for r in rows if r.code.casefold() == lowered],
        [r for r in rows if gsrn_of(r) == text],
        [r for r in rows if r.name.casefold() == lowered],
        [r for r in rows if str(r.pk) == text],
    ])


def _spu_resolve(qs: QuerySet[Spu], text: str) -> list[Spu]:
    rows = list(qs.filter(_key_q(text, gsrn="connection_point__gsrn"))[:RESOLVE_MAX])
    return _tiers(rows, text, lambda spu: spu.connection_point.gsrn)


def _spu_search(qs: QuerySet[Spu], term: str) -> QuerySet[Spu]:
    match = Q(code__icontains=term) | Q(name__icontains=term) | Q(fsp__organisation__name__icontains=term)
    if term.isdigit():
        match |= Q(connection_point__gsrn__startswith=term)
    return qs.filter(match)


def _spu_label(spu: Spu) -> str:
    return f"{spu.code} – {spu.name} ({spu.connection_point.gsrn})"


def _spu_detail(spu: Spu) -> str:
    return f"{spu.fsp} · {spu.connection_point.bidding_zone}"


SPU_PICKER = PickerLookup(
    name=_("SPU"), url_name="prequal:picker-spu", scope=_spu_scope, resolve=_spu_resolve,
    search=_spu_search, label=_spu_label, detail=_spu_detail, params=("active", "fsp", "zone"),
)


def _spg_scope(user, params: dict) -> QuerySet[Spg]:
    qs = spg_list_for_user(user=user)
    if params.get("active") == "1":
        qs = qs.filter(is_active=True)
    if params.get("fsp", "").isdigit():
        qs = qs.filter(fsp_id=int(params["fsp"]))
    return qs


def _spg_resolve(qs: QuerySet[Spg], text: str) -> list[Spg]:
    rows = list(qs.filter(_key_q(text, gsrn=None))[:RESOLVE_MAX])
    return _tiers(rows, text, lambda spg: None)


def _spg_search(qs: QuerySet[Spg], term: str) -> QuerySet[Spg]:
    return qs.filter(
        Q(code__icontains=term) | Q(name__icontains=term) | Q(fsp__organisation__name__icontains=term)
    )


def _spg_label(spg: Spg) -> str:
    return f"{spg.code} – {spg.name}"


def _spg_detail(spg: Spg) -> str:
    return f"{spg.fsp} · {spg.bidding_zone}"


SPG_PICKER = PickerLookup(
    name=_("SPG"), url_name="prequal:picker-spg", scope=_spg_scope, resolve=_spg_resolve,
    search=_spg_search, label=_spg_label, detail=_spg_detail, params=("active", "fsp"),
)
