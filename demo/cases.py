"""A plausible history of decisions for the demo (issue 6): the annual report and its charts
have something to say on `make run`.

Cases of the demo SPUs submitted from 1 January last year until a few days ago, assessed by
the connecting local DSO, its regional DSO and the TSO (whose observability areas cover the
local grid) and the product's procuring SO; most approved, some with conditions, a few
refused with a justification, some approved by silence; the recent ones still open with their
clocks running. Temporary limits published by the operators, a few refused as late.

Written in bulk (a service call would stamp every decision with today's date), with the same
audit rows the services write: CaseEvent per transition, LimitEvent per publication and lift.
Only runs when the demo FSPs have no case yet, so loading the demo twice changes nothing.
Operators without a demo engineer get one staff account (no password: it cannot log in) so
every decision and limit is attributed to a person.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import Membership, User
from demo import sweden
from limits.models import LimitConcern, LimitEvent, LimitRefusal, TargetKind, TemporaryLimit
from limits.services import limit_snapshot
from observability.models import SystemOperator
from prequal.models import Assessment, Case, CaseEvent, Condition, Product, Spu
from prequal.models.texts import Text, reason_fields
from prequal.services.deadlines import assessment_deadline, deadline_rule_in_force, outcome_valid_until

SEED = "gridprequal-demo-decisions-v1"
OUTCOMES = (  # per assessment, for decisions made by a person; silence is drawn separately
    ("approved", 0.74),
    ("conditionally_approved", 0.17),
    ("not_approved", 0.09),
)
SILENCE_SHARE = 0.08
CASES_PER_SPU = (2, 5)  # how many products each SPU applies for

REASONS = (
    "Approved with conditions: the 10 kV feeder is near its limit in winter mornings.",
    "Capacity shared with another flexibility resource on the same transformer.",
    "Approved subject to the seasonal limits of the regional 40 kV ring.",
    "Conditions follow the N-1 study of the substation.",
)
JUSTIFICATIONS = (
    "The secondary substation is loaded above 95 % at peak; activating the resource would "
    "overload the transformer.",
    "The connection point sits on a radial feeder with voltage problems at full activation.",
    "Activation downwards would reverse the flow on a line protected for one direction only.",
)
LIMITS_EXPLANATIONS = (
    "The congestion is structural and present most hours of the year; temporary limits would "
    "have to be in force permanently.",
    "The problem appears within minutes of an activation, too fast to publish a limit in time.",
    "Limits cannot help before the planned grid reinforcement is built.",
)
CONDITIONS = (
    {"max_up_mw": Decimal("0.5"), "months": [12, 1, 2], "weekdays": [0, 1, 2, 3, 4],
     "start_time": time(7), "end_time": time(9), "note": "Morning peak on the feeder"},
    {"max_up_mw": Decimal("1"), "max_down_mw": Decimal("0.5"), "months": [11, 12, 1, 2, 3],
     "note": "Winter season cap"},
    {"max_down_mw": Decimal("0"), "start_time": time(22), "end_time": time(6),
     "note": "No downward activation at night (reverse flow)"},
    {"max_up_mw": Decimal("2"), "weekdays": [0, 1, 2, 3, 4], "start_time": time(16),
     "end_time": time(20), "note": "Evening peak"},
)
LIMIT_REASONS = (
    "Planned maintenance on the 10 kV feeder.",
    "Transformer replacement in the secondary substation.",
    "Fault repair after a storm; the feeder runs in an alternative configuration.",
    "High load forecast; the line is close to its thermal limit.",
    "Protection testing in the primary substation.",
)
STAFF_NAMES = (
    ("Anna", "Nilsson"), ("Per", "Larsson"), ("Maja", "Olsson"), ("Lars", "Persson"),
    ("Elin", "Svensson"), ("Oskar", "Gustafsson"), ("Ida", "Pettersson"), ("Nils", "Jonsson"),
    ("Sara", "Jansson"), ("Jonas", "Hansson"), ("Emma", "Bengtsson"), ("Magnus", "Lindberg"),
    ("Linnea", "Axelsson"), ("Fredrik", "Lundgren"), ("Hanna", "Mattsson"), ("Olof", "Wallin"),
)


def demo_cases_exist() -> bool:
    return Case.objects.filter(fsp__organisation__name__in=[f.name for f in sweden.FSPS]).exists()


@transaction.atomic
def demo_decisions_load(*, now: datetime | None = None) -> Counter:
    """Create the demo's cases, decisions and limits unless the demo FSPs have cases already."""
    created: Counter = Counter()
    if demo_cases_exist():
        return created
    now = now or timezone.now()
    rng = random.Random(SEED)
    world = _World.load(rng=rng, created=created)
    start = datetime(now.astimezone(demo_zone()).year - 1, 1, 1, 8, tzinfo=demo_zone())
    _cases(world=world, rng=rng, start=start, now=now, created=created)
    _limits(world=world, rng=rng, start=start, now=now, created=created)
    return created


def demo_open_case_write(*, spu, product, submitted: datetime) -> Case:
    """A demo case submitted at `submitted`, its clocks running since (demo/dashboards.py)."""
    rng = random.Random(SEED)
    world = _World.load(rng=rng, created=Counter())
    return demo_case_write(
        world=world, rng=rng, submitted=submitted, spu=spu, product=product, now=submitted,
        created=Counter(), rules={},
    )


def demo_zone():
    return ZoneInfo(sweden.TIME_ZONE)


class _World:
    """The demo objects the history is written for, and one engineer per operator."""

    @classmethod
    def load(cls, *, rng: random.Random, created: Counter) -> _World:
        self = cls()
        self.operators = {
            so.pk: so for so in SystemOperator.objects.select_related("organisation", "upstream")
        }
        self.tso = next(so for so in self.operators.values() if so.tier == SystemOperator.Tier.TSO)
        self.products = list(Product.objects.filter(code__in=[p.code for p in sweden.PRODUCTS]))
        self.spus = list(
            Spu.objects.filter(fsp__organisation__name__in=[f.name for f in sweden.FSPS])
            .select_related("connection_point", "fsp__organisation")
            .order_by("pk")
        )
        self.fsp_users = dict(
            Membership.objects.filter(role=Membership.Role.FSP_USER).values_list(
                "organisation_id", "user_id"
            )
        )
        self.engineers = {}
        for org_id, user_id in Membership.objects.filter(role=Membership.Role.SO_ENGINEER).order_by(
            "pk"
        ).values_list("organisation_id", "user_id"):
            self.engineers.setdefault(org_id, user_id)
        for so in self.operators.values():
            if so.organisation_id not in self.engineers:
                self.engineers[so.organisation_id] = _staff_engineer(so=so, rng=rng)
                created["staff engineers"] += 1
        return self

    def engineer(self, so) -> int:
        return self.engineers[so.organisation_id]

    def assessing(self, spu, product) -> list[tuple[object, list[str]]]:
        """R1 as the demo areas decide it: the connecting SO, its upstream chain (their areas
        cover the local grid), and the procuring SO."""
        reasons: dict[int, list[str]] = {}
        so = self.operators[spu.connection_point.connecting_so_id]
        reasons.setdefault(so.pk, []).append("connecting")
        upstream = so.upstream_id
        while upstream:
            reasons.setdefault(upstream, []).append("observability_area")
            upstream = self.operators[upstream].upstream_id
        reasons.setdefault(product.procuring_so_id, []).append("procuring")
        return [(self.operators[pk], r) for pk, r in reasons.items()]

    def products_for(self, spu) -> list:
        """TSO products for everyone; a local product only under its own regional DSO."""
        connecting = self.operators[spu.connection_point.connecting_so_id]
        return [
            p for p in self.products
            if p.procuring_so_id == self.tso.pk or p.procuring_so_id == connecting.upstream_id
        ]


def _staff_engineer(*, so, rng: random.Random) -> int:
    first, last = rng.choice(STAFF_NAMES)
    username = f"engineer-{slugify(so.name)}"[:150]
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(
            username=username, first_name=first, last_name=last,
            email=f"{username}@demo.gridprequal.invalid",
        )
        user.set_unusable_password()
        user.full_clean()
        user.save()
    Membership.objects.get_or_create(
        user=user, organisation=so.organisation, defaults={"role": Membership.Role.SO_ENGINEER}
    )
    return user.pk


def _draw_outcome(rng: random.Random) -> str:
    x, acc = rng.random(), 0.0
    for outcome, share in OUTCOMES:
        acc += share
        if x < acc:
            return outcome
    return OUTCOMES[0][0]


def _cases(*, world: _World, rng: random.Random, start: datetime, now: datetime, created: Counter) -> None:
    rules: dict = {}
    for submitted, spu, product in _case_plans(world=world, rng=rng, start=start, now=now):
        demo_case_write(
            world=world, rng=rng, submitted=submitted, spu=spu, product=product, now=now,
            created=created, rules=rules,
        )


def demo_case_write(
    *, world: _World, rng: random.Random, submitted: datetime, spu, product, now: datetime,
    created: Counter, rules: dict,
) -> Case:
    """One case submitted at `submitted`, its assessments decided as drawn if before `now` (all
    open when `now` is `submitted`), their audit rows; `rules`: deadline rules by key, shared."""
    fsp_user = world.fsp_users.get(spu.fsp.organisation_id)
    case = Case(fsp=spu.fsp, spu=spu, product=product, status=Case.Status.UNDER_ASSESSMENT,
                round=1, created_by_id=fsp_user, submitted_at=submitted)
    case.save()
    Case.objects.filter(pk=case.pk).update(
        created_at=submitted - timedelta(minutes=rng.randint(5, 600)), updated_at=submitted
    )
    events = [
        CaseEvent(case=case, action="submit", from_state="draft", to_state="submitted",
                  actor_id=fsp_user, at=submitted),
    ]
    assessments, conditions = [], []
    for so, reasons in world.assessing(spu, product):
        key = (so.organisation.country, product.kind, submitted.date())
        if key not in rules:
            rules[key] = deadline_rule_in_force(
                system_operator=so, at=submitted, product_kind=product.kind
            )
        a = _assessment_draw(
            world=world, rng=rng, case=case, so=so, reasons=reasons, rule=rules[key],
            submitted=submitted, now=now,
        )
        if a.status == Assessment.Status.CONDITIONALLY_APPROVED:
            conditions += [(a, Condition(time_zone=so.time_zone, **spec))
                           for spec in rng.sample(CONDITIONS, rng.randint(1, 2))]
        assessments.append(a)
    Assessment.objects.bulk_create(assessments)
    created["cases"] += 1
    created["assessments"] += len(assessments)
    for a, condition in conditions:
        condition.assessment = a
    Condition.objects.bulk_create([c for _a, c in conditions])
    created["conditions"] += len(conditions)
    names = ", ".join(a.system_operator.name for a in assessments)
    events.append(CaseEvent(
        case=case, action="open_assessment", from_state="submitted", to_state="under_assessment",
        via=CaseEvent.Via.SYSTEM, at=submitted,
        **_reason(Text("Assessments opened for %(sos)s.", sos=names)),
    ))
    events += _decision_events(case=case, assessments=assessments)
    if all(a.decided_at for a in assessments):
        events.append(_case_outcome(case=case, assessments=assessments))
    CaseEvent.objects.bulk_create(events)
    created["case events"] += len(events)
    return case


def _case_plans(*, world: _World, rng: random.Random, start: datetime, now: datetime) -> list[tuple]:
    """(submitted, SPU, product) of every demo case, in the order of submission."""
    window = (now - timedelta(days=5) - start).total_seconds()
    plans = []
    for spu in world.spus:
        products = world.products_for(spu)
        for product in rng.sample(products, min(len(products), rng.randint(*CASES_PER_SPU))):
            submitted = start + timedelta(seconds=rng.uniform(0, window))
            plans.append((submitted, spu, product))
    plans.sort(key=lambda p: p[0])
    return plans


def _assessment_draw(
    *, world: _World, rng: random.Random, case: Case, so, reasons, rule, submitted: datetime, now: datetime
) -> Assessment:
    """One SO's assessment of the case: pending while its clock runs, else decided (by silence or not)."""
    S = Assessment.Status
    deadline = assessment_deadline(rule=rule, start=submitted, time_zone=so.time_zone)
    connects = "connecting" in reasons
    a = Assessment(case=case, round=1, system_operator=so, reasons=reasons, connects=connects,
                   deadline=deadline, deadline_rule=rule, clock_started_at=submitted)
    if rng.random() < SILENCE_SHARE:
        outcome, decided_at = S.APPROVED_BY_SILENCE, deadline
    else:
        outcome = _draw_outcome(rng)
        span = (deadline - submitted).total_seconds() / 86400
        delay = rng.triangular(2, span - 1, min(span - 2, 25 if outcome == "approved" else 45))
        decided_at = submitted + timedelta(days=delay)
    if decided_at > now:
        return a  # still pending: the clock runs
    a = Assessment(
        case=case, round=1, system_operator=so, reasons=reasons, connects=connects, deadline=deadline,
        deadline_rule=rule, clock_started_at=submitted, status=outcome, decided_at=decided_at,
        decided_by_id=None if outcome == S.APPROVED_BY_SILENCE else world.engineer(so),
    )
    if outcome == S.CONDITIONALLY_APPROVED:
        a.reason = rng.choice(REASONS)
    elif outcome == S.NOT_APPROVED:
        a.justification = rng.choice(JUSTIFICATIONS)
        a.limits_explanation = rng.choice(LIMITS_EXPLANATIONS)
    return a


def _decision_events(*, case: Case, assessments: list[Assessment]) -> list[CaseEvent]:
    """The audit events of the decided assessments, in the order of decision."""
    S = Assessment.Status
    events = []
    for a in sorted((a for a in assessments if a.decided_at), key=lambda a: a.decided_at):
        silence = a.status == S.APPROVED_BY_SILENCE
        events.append(CaseEvent(
            case=case, assessment=a, from_state=S.PENDING, to_state=a.status, at=a.decided_at,
            action={
                S.APPROVED: "approve", S.CONDITIONALLY_APPROVED: "approve_with_conditions",
                S.NOT_APPROVED: "refuse", S.APPROVED_BY_SILENCE: "apply_silence",
            }[a.status],
            actor_id=None if silence else a.decided_by_id,
            via=CaseEvent.Via.DEADLINE if silence else CaseEvent.Via.USER,
            **_reason(Text("No decision by the deadline (%(basis)s).", basis=a.deadline_rule.legal_basis)
                      if silence else a.reason or a.justification),
        ))
    return events


def _case_outcome(*, case: Case, assessments: list[Assessment]) -> CaseEvent:
    """Store the outcome of a case whose assessments are all decided (R5); its audit event."""
    S = Assessment.Status
    statuses = {a.status for a in assessments}
    status, method = (
        (Case.Status.NOT_APPROVED, "refuse") if S.NOT_APPROVED in statuses
        else (Case.Status.CONDITIONALLY_APPROVED, "approve_conditionally")
        if S.CONDITIONALLY_APPROVED in statuses
        else (Case.Status.APPROVED, "approve")
    )
    decided_at = max(a.decided_at for a in assessments)
    valid_until = min(
        outcome_valid_until(rule=a.deadline_rule, decided_at=decided_at,
                            time_zone=a.system_operator.time_zone)
        for a in assessments
    )
    Case.objects.filter(pk=case.pk).update(
        status=status, decided_at=decided_at, valid_until=valid_until, updated_at=decided_at
    )
    return CaseEvent(
        case=case, action=method, from_state="under_assessment", to_state=status,
        via=CaseEvent.Via.SYSTEM, at=decided_at, reason="All assessments are decided.",
    )


def _limits(*, world: _World, rng: random.Random, start: datetime, now: datetime, created: Counter) -> None:
    """About two limits a week across the operators; one attempt in eight comes too late."""
    days = (now - start).days
    attempts = days * 2 // 7
    for _i in range(attempts):
        spu = rng.choice(world.spus)
        chain = [so for so, reasons in world.assessing(spu, world.products[0]) if "procuring" not in reasons
                 or len(reasons) > 1]
        so = rng.choice(chain)
        user = world.engineer(so)
        begins = (start + timedelta(days=rng.uniform(1, days - 1))).replace(minute=0, second=0, microsecond=0)
        latest = begins - timedelta(minutes=105)  # one hour before the mFRR energy gate closure
        target = f"SPU {spu.code}"
        if rng.random() < 0.125:
            at = latest + timedelta(minutes=rng.randint(5, 90))
            LimitRefusal.objects.create(
                system_operator=so, at=at, actor_id=user, target_kind=TargetKind.SPU, target_id=spu.pk,
                target_description=target, requested_start=begins, latest_allowed_at=latest,
            )
            created["limits refused as late"] += 1
            continue
        published = latest - timedelta(hours=rng.uniform(1, 72))
        if published > now:
            continue
        hours = rng.choice((2, 4, 6, 8, 12, 24, 48, 72))
        end = begins + timedelta(hours=hours)
        lifted = None
        if end < now and rng.random() < 0.2:
            lifted = begins + timedelta(hours=hours * rng.uniform(0.2, 0.8))
        limit = TemporaryLimit.objects.create(
            system_operator=so, target_kind=TargetKind.SPU, spu=spu,
            direction=rng.choice(("up", "down", "both")),
            quantity_mw=rng.choice((Decimal("0"), Decimal("0.2"), Decimal("0.5"))),
            start=begins, end=end, reason=rng.choice(LIMIT_REASONS), created_by_id=user,
            created_at=published, updated_at=lifted or published, latest_allowed_at=latest,
            lifted_at=lifted, lifted_by_id=user if lifted else None,
        )
        after = {**limit_snapshot(limit), "lifted_at": None}  # as it was published
        LimitEvent.objects.create(limit=limit, action=LimitEvent.Action.CREATE, at=published, actor_id=user,
                                  after=after, latest_allowed_at=latest)
        if lifted:
            LimitEvent.objects.create(limit=limit, action=LimitEvent.Action.LIFT, at=lifted, actor_id=user,
                                      before=after, after=limit_snapshot(limit))
        LimitConcern.objects.create(limit=limit, fsp_id=spu.fsp_id)
        created["temporary limits"] += 1


def _reason(reason: str | Text) -> dict:
    """A CaseEvent's reason fields: the system's texts as msgid and parameters, as the services
    write them (shown in each reader's language)."""
    text, params = reason_fields(reason)
    return {"reason": text, "reason_params": params}
