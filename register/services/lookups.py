"""What a batch refers to, read in a constant number of queries: products, SPUs and SPGs with
their capacity, and the records already held under the batch's external ids."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import connection
from django.db.models import Q

from common.db import fetch_all, model_columns, values_in
from prequal.models import Product, Spg, SpgMembership, Spu
from register.models import RecordRevision
from register.services.parsing import RecordInput

KW_PER_MW = Decimal(1000)


@dataclass
class Resource:
    """An SPU or SPG a batch names, with its capacity in MW per direction (an SPG's: the sum of
    its members', per membership period)."""

    kind: str
    id: int
    code: str
    up_mw: Decimal = Decimal(0)
    down_mw: Decimal = Decimal(0)
    members: list[tuple[datetime, datetime | None, Decimal, Decimal]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.kind.upper()} {self.code}"

    def capacity(self, *, start: datetime, end: datetime) -> tuple[Decimal, Decimal]:
        """(up, down) in MW over the period: an SPG counts the members it has in the period."""
        if self.kind == "spu":
            return self.up_mw, self.down_mw
        up = down = Decimal(0)
        for valid_from, valid_to, member_up, member_down in self.members:
            if valid_from < end and (valid_to is None or valid_to > start):
                up, down = up + member_up, down + member_down
        return up, down


@dataclass
class Existing:
    """The current revision of a record already in the register."""

    record_id: int
    revision: int
    status: str
    content: tuple


def products_by_code(codes: set[str]) -> dict[str, Product]:
    return {p.code: p for p in Product.objects.filter(code__in=sorted(codes), is_active=True)}


def resources_for(records: list[RecordInput]) -> dict[tuple, Resource]:
    """The active SPUs and SPGs the records name, keyed as named: ("spu", id) and ("spu", (eic,
    code)) for the same unit both. Three queries whatever the batch size."""
    found: dict[tuple, Resource] = {}
    for kind, model in (("spu", Spu), ("spg", Spg)):
        refs = {r.resource[1] for r in records if r.resource[0] == kind}
        ids = {ref for ref in refs if isinstance(ref, int)}
        pairs = {ref for ref in refs if isinstance(ref, tuple)}
        if not refs:
            continue
        scope = Q(values_in("pk", ids))
        if pairs:
            scope |= Q(fsp__organisation__eic_code__in=sorted({e for e, _c in pairs}),
                       code__in=sorted({c for _e, c in pairs}))
        capacity = ("max_up_kw", "max_down_kw") if model is Spu else ()
        rows = model.objects.filter(scope, is_active=True).values_list(
            "id", "code", "fsp__organisation__eic_code", *capacity
        )
        for pk, code, eic, *kw in rows:
            resource = Resource(kind=kind, id=pk, code=code)
            if kw:
                resource.up_mw, resource.down_mw = kw[0] / KW_PER_MW, kw[1] / KW_PER_MW
            if pk in ids:
                found[(kind, pk)] = resource
            if (eic, code) in pairs:
                found[(kind, (eic, code))] = found.get((kind, pk), resource)
    _members_add([r for r in found.values() if r.kind == "spg"])
    return found


def _members_add(spgs: list[Resource]) -> None:
    if not spgs:
        return
    by_id = {spg.id: spg for spg in spgs}
    rows = SpgMembership.objects.filter(values_in("spg_id", by_id)).values_list(
        "spg_id", "valid_from", "valid_to", "spu__max_up_kw", "spu__max_down_kw"
    )
    for spg_id, valid_from, valid_to, up_kw, down_kw in rows:
        by_id[spg_id].members.append((valid_from, valid_to, up_kw / KW_PER_MW, down_kw / KW_PER_MW))


def existing_for_update(
    *, sender_id: int, system_operator_id: int, external_ids: list[str]
) -> dict[str, Existing]:
    """The current revision of each record under these external ids (sender and operator),
    its record row locked on PostgreSQL: two writers of one record take turns. One query."""
    if not external_ids:
        return {}
    if connection.vendor == "postgresql":
        where, params, lock = "r.external_id = ANY(%s)", [external_ids], " FOR UPDATE OF r"
    else:
        where, params, lock = f"r.external_id IN ({', '.join(['%s'] * len(external_ids))})", external_ids, ""
    names = ("revision", "status", "kind", "spu_id", "spg_id", "product_id", "direction", "quantity_mw",
             "period_start", "period_end")
    rows = fetch_all(
        "SELECT r.external_id, r.id, " + ", ".join(f"v.{name}" for name in names)
        + " FROM register_registerrecord r"
        " JOIN register_recordrevision v ON v.record_id = r.id AND v.is_current"
        f" WHERE r.sender_id = %s AND r.system_operator_id = %s AND {where}{lock}",
        [sender_id, system_operator_id, *params],
        columns=(None, None, *model_columns(RecordRevision, names)),
    )
    found = {}
    for external_id, record_id, revision, status, kind, spu_id, spg_id, *rest in rows:
        resource = ("spu", spu_id) if spu_id else ("spg", spg_id)
        content = (kind, *resource, *rest)
        found[external_id] = Existing(record_id=record_id, revision=revision, status=status, content=content)
    return found
