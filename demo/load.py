"""Load the Swedish demo data (demo.sweden) through the registry's services. Idempotent.

Every object is looked up by its natural key (name, EIC, GSRN, code, username) and only
created when missing; what exists is left exactly as it is, so a second run changes nothing.
Everything new passes full_clean through the same services the UI and API use.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.db import transaction

from accounts.models import Membership, Organisation, User
from demo import sweden
from demo.cases import demo_decisions_load
from observability.geo import WGS84
from observability.models import ConnectionPoint, SystemOperator
from observability.services import connection_point_get_or_create, system_operator_create
from prequal.models import DeadlineRule, Fsp, Product, Spg, SpgMembership, Spu
from prequal.services.decision_rollup import decision_rollup_rebuild
from prequal.services.readers import so_readers_rebuild
from prequal.services.resources import spg_create, spg_member_add, spu_create


@dataclass
class DemoSummary:
    created: Counter = field(default_factory=Counter)
    existing: Counter = field(default_factory=Counter)

    def count(self, what: str, *, created: bool) -> None:
        (self.created if created else self.existing)[what] += 1

    def total(self, what: str) -> int:
        return self.created[what] + self.existing[what]


@transaction.atomic
def demo_data_load(*, dry_run: bool = False) -> DemoSummary:
    """Create whatever demo object is missing; all-or-nothing.

    With `dry_run` everything is created and checked as usual, then rolled back: the summary
    says what a real run would create.
    """
    summary = DemoSummary()
    operators = _load_operators(summary=summary)
    fsps = _load_fsps(summary=summary)
    organisations = {
        **{name: so.organisation for name, so in operators.items()},
        **{name: fsp.organisation for name, fsp in fsps.items()},
        sweden.REGULATOR_NAME: _load_regulator(summary=summary),
    }
    users = _load_users(summary=summary, organisations=organisations)
    _load_products(summary=summary, operators=operators)
    _load_deadline_rules(summary=summary)
    points = _load_connection_points(summary=summary, operators=operators)
    fsp_users = {
        spec.organisation: users[spec.username] for spec in sweden.USERS if spec.role == "fsp_user"
    }
    spus = _load_spus(summary=summary, fsps=fsps, fsp_users=fsp_users, points=points)
    _load_spgs(summary=summary, fsps=fsps, fsp_users=fsp_users, spus=spus)
    # Issue 6 (annual report): a history of decisions and limits, once (demo/cases.py).
    demo_decisions_load()
    # The history above is written in bulk: who reads what (SPEC §4) from the rule, and the
    # decisions' rollup from the decisions, once.
    so_readers_rebuild()
    decision_rollup_rebuild()
    if dry_run:
        # Queries after this point would fail, so it comes last.
        transaction.set_rollback(True)
    return summary


def _load_operators(*, summary: DemoSummary) -> dict:
    operators: dict[str, SystemOperator] = {}
    for spec in sweden.OPERATORS:  # upstream operators come first
        so = (
            SystemOperator.objects.select_related("organisation")
            .filter(organisation__name=spec.name)
            .first()
        )
        summary.count("system operators", created=so is None)
        zones = _bidding_zones(spec)
        if so is None:
            so = system_operator_create(
                name=spec.name, eic_code=spec.eic, tier=spec.tier,
                upstream=operators[spec.upstream] if spec.upstream else None,
                country=sweden.COUNTRY, time_zone=sweden.TIME_ZONE, bidding_zones=zones,
            )
        elif not so.bidding_zones:  # demo data loaded before operators had zones
            SystemOperator.objects.filter(pk=so.pk).update(bidding_zones=zones)
        operators[spec.name] = so
    return operators


def _bidding_zones(spec) -> str:
    """A local DSO's zone; a regional's, its locals' zones; the TSO's, every zone of the demo."""
    below = [s for s in sweden.OPERATORS if s.bidding_zone and (
        spec.tier == SystemOperator.Tier.TSO or s.upstream == spec.name or s is spec)]
    return ",".join(sorted({s.bidding_zone for s in below}))


def _organisation(*, name: str, kind: str, eic: str | None):
    """The organisation with this name, created when missing. Returns (organisation, created)."""
    organisation = Organisation.objects.filter(name=name).first()
    if organisation is not None:
        return organisation, False
    organisation = Organisation(name=name, kind=kind, eic_code=eic, country=sweden.COUNTRY)
    organisation.full_clean()
    organisation.save()
    return organisation, True


def _create(instance, *, summary: DemoSummary, label: str):
    """Check and save a new demo row, counted as created under `label`."""
    instance.full_clean()
    instance.save()
    summary.count(label, created=True)
    return instance


def _load_fsps(*, summary: DemoSummary) -> dict:
    fsps = {}
    for spec in sweden.FSPS:
        fsp = Fsp.objects.select_related("organisation").filter(organisation__name=spec.name).first()
        if fsp is None:
            organisation, _ = _organisation(name=spec.name, kind=Organisation.Kind.FSP, eic=spec.eic)
            fsp = _create(Fsp(organisation=organisation), summary=summary, label="FSPs")
        else:
            summary.count("FSPs", created=False)
        fsps[spec.name] = fsp
    return fsps


def _load_regulator(*, summary: DemoSummary):
    organisation, created = _organisation(
        name=sweden.REGULATOR_NAME, kind=Organisation.Kind.REGULATOR, eic=None
    )
    summary.count("regulators", created=created)
    return organisation


def _load_users(*, summary: DemoSummary, organisations: dict) -> dict:
    users = {}
    for spec in sweden.USERS:
        user = User.objects.filter(username=spec.username).first()
        if user is None:
            is_admin = spec.role == sweden.PLATFORM_ADMIN
            user = User(
                username=spec.username, first_name=spec.first_name, last_name=spec.last_name,
                email=f"{spec.username}@demo.gridprequal.invalid",
                is_staff=is_admin, is_superuser=is_admin,
            )
            user.set_password(sweden.DEMO_PASSWORD)
            _create(user, summary=summary, label="users")
        else:
            summary.count("users", created=False)
        if spec.organisation:
            organisation = organisations[spec.organisation]
            if not Membership.objects.filter(user=user, organisation=organisation).exists():
                membership = Membership(user=user, organisation=organisation, role=spec.role)
                _create(membership, summary=summary, label="memberships")
            else:
                summary.count("memberships", created=False)
        users[spec.username] = user
    return users


def _load_products(*, summary: DemoSummary, operators: dict) -> None:
    for spec in sweden.PRODUCTS:
        if Product.objects.filter(code=spec.code).exists():
            summary.count("products", created=False)
            continue
        product = Product(
            code=spec.code, name=spec.name, name_sv=sweden.PRODUCT_NAMES_SV.get(spec.code, spec.name),
            kind=spec.kind, procuring_so=operators[spec.procuring_so],
            directions=spec.directions, market_time_unit_minutes=spec.mtu_minutes,
            gate_closure_minutes=spec.gate_closure_minutes,
            gate_closure_days_ahead=spec.gate_closure_days_ahead,
            gate_closure_local_time=spec.gate_closure_local_time,
        )
        _create(product, summary=summary, label="products")


def _load_deadline_rules(*, summary: DemoSummary) -> None:
    for spec in sweden.DEADLINE_RULES:
        valid_from = datetime.combine(spec.valid_from, time(0), tzinfo=ZoneInfo(sweden.TIME_ZONE))
        if DeadlineRule.objects.filter(
            jurisdiction=sweden.COUNTRY, product_kind=spec.product_kind, valid_from=valid_from
        ).exists():
            summary.count("deadline rules", created=False)
            continue
        rule = DeadlineRule(
            jurisdiction=sweden.COUNTRY, product_kind=spec.product_kind, name=spec.name,
            legal_basis=spec.legal_basis, period_months=spec.period_months, valid_from=valid_from,
        )
        _create(rule, summary=summary, label="deadline rules")


def _load_connection_points(*, summary: DemoSummary, operators: dict) -> dict:
    known = set(
        ConnectionPoint.objects.filter(
            gsrn__in=[p.gsrn for p in sweden.CONNECTION_POINTS]
        ).values_list("gsrn", flat=True)
    )
    points = {}
    for spec in sweden.CONNECTION_POINTS:
        points[spec.gsrn] = connection_point_get_or_create(
            gsrn=spec.gsrn, connecting_so=operators[spec.operator], x=spec.lon, y=spec.lat,
            epsg=WGS84, voltage_level=spec.voltage_level, bidding_zone=spec.bidding_zone,
        )
        summary.count("connection points", created=spec.gsrn not in known)
    return points


def _load_spus(*, summary: DemoSummary, fsps: dict, fsp_users: dict, points: dict) -> dict:
    spus = {}
    for spec in sweden.SPUS:
        fsp = fsps[spec.fsp]
        spu = Spu.objects.filter(fsp=fsp, code=spec.code).first()
        if spu is None:
            spu = spu_create(
                user=fsp_users[spec.fsp], fsp=fsp, connection_point=points[spec.gsrn],
                code=spec.code, name=spec.name, technology=spec.technology,
                max_up_kw=spec.max_up_kw, max_down_kw=spec.max_down_kw,
            )
            summary.count("SPUs", created=True)
        else:
            summary.count("SPUs", created=False)
        spus[(spec.fsp, spec.code)] = spu
    return spus


def _load_spgs(*, summary: DemoSummary, fsps: dict, fsp_users: dict, spus: dict) -> None:
    for spec in sweden.SPGS:
        fsp, user = fsps[spec.fsp], fsp_users[spec.fsp]
        spg = Spg.objects.filter(fsp=fsp, code=spec.code).first()
        if spg is None:
            spg = spg_create(
                user=user, fsp=fsp, code=spec.code, name=spec.name, bidding_zone=spec.bidding_zone
            )
            summary.count("SPGs", created=True)
        else:
            summary.count("SPGs", created=False)
        for member in spec.memberships:
            spu = spus[(spec.fsp, member.spu_code)]
            if SpgMembership.objects.filter(spg=spg, spu=spu, valid_from=member.valid_from).exists():
                summary.count("SPG memberships", created=False)
                continue
            spg_member_add(
                user=user, spg=spg, spu=spu, valid_from=member.valid_from, valid_to=member.valid_to
            )
            summary.count("SPG memberships", created=True)
