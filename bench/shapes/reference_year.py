"""The reference data set's year of prequalification (shapes/reference.py builds what it stands on).

`cases` cases with three assessments each (the connecting local DSO, its regional DSO and the
TSO): decisions with conditions and refusals, approvals by silence, incomplete applications,
withdrawals, open assessments with running deadlines for the cases submitted in the last three
months, and the audit trail each of those steps leaves. Each SPU applies at most once (so one
live case per SPU and product).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from shapes.rows import TableWriter, next_id, sequences_reset

TZ = "Europe/Stockholm"
# Outcome of one decided assessment: approved 70 %, by silence 8 %, with conditions 15 %, refused 7 %.
OUTCOMES = (
    ("approved", 0.70),
    ("approved_by_silence", 0.78),
    ("conditionally_approved", 0.93),
    ("not_approved", 1.0),
)
WITHDRAWN_SHARE = 0.02
INCOMPLETE_SHARE = 0.10  # of the cases still being assessed
JUSTIFICATION = (
    "The secondary substation is loaded above 95 % at peak; activating the resource would "
    "overload the transformer."
)
LIMITS_EXPLANATION = "The congestion is structural: a temporary limit would have to be in force all year."
CONDITION_REASON = "Winter mornings: the feeder is near its limit."
MISSING = "The single-line diagram of the installation and the meter configuration."
REASONS = (
    ['"connecting"', '"observability_area"'],
    ['"observability_area"'],
    ['"observability_area"', '"procuring"'],
)
METHOD = {
    "approved": "approve",
    "conditionally_approved": "approve_with_conditions",
    "not_approved": "refuse",
}
CASE_COLUMNS = [
    "id",
    "fsp_id",
    "spu_id",
    "product_id",
    "status",
    "round",
    "created_by_id",
    "submitted_at",
    "decided_at",
    "valid_until",
    "information_requested_at",
    "supplement_due",
    "created_at",
    "updated_at",
]
ASSESSMENT_COLUMNS = [
    "id",
    "case_id",
    "round",
    "system_operator_id",
    "reasons",
    "connects",
    "area_version_ids",
    "status",
    "deadline",
    "deadline_rule_id",
    "clock_started_at",
    "incomplete_declared_at",
    "missing_information",
    "decided_by_id",
    "decided_at",
    "reason",
    "justification",
    "limits_explanation",
    "created_at",
    "updated_at",
]
CONDITION_COLUMNS = [
    "id",
    "assessment_id",
    "max_up_mw",
    "max_down_mw",
    "months",
    "weekdays",
    "start_time",
    "end_time",
    "time_zone",
    "created_at",
    "updated_at",
]
EVENT_COLUMNS = [
    "id",
    "case_id",
    "assessment_id",
    "at",
    "actor_id",
    "via",
    "action",
    "from_state",
    "to_state",
    "reason",
]


@dataclass
class Rows:
    """The year's rows, numbered from the tables' next ids."""

    case_first: int
    a_first: int
    c_first: int
    e_first: int
    cases: list = field(default_factory=list)
    assessments: list = field(default_factory=list)
    conditions: list = field(default_factory=list)
    events: list = field(default_factory=list)
    deadlines: dict = field(default_factory=dict)


@dataclass
class Case:
    """One case being made: its times, its three assessments and its audit trail."""

    id: int
    fsp_user: int
    submitted: datetime
    deadline: datetime
    events: list = field(default_factory=list)
    assessments: list = field(default_factory=list)
    status: str = "under_assessment"
    decided_at: datetime | None = None
    valid_until: datetime | None = None
    info_at: datetime | None = None
    supplement_due: datetime | None = None

    def event(self, assessment, at, actor, via, action, from_state, to_state, reason) -> None:
        """One audit entry (CaseEvent's columns after the case)."""
        self.events.append((self.id, assessment, at, actor, via, action, from_state, to_state, reason))


def year_generate(world, *, points: int, cases: int) -> None:
    """Generate and write the year; its counts go into world.counts."""
    from prequal.models import Assessment, CaseEvent, Condition
    from prequal.models import Case as CaseModel

    rows = Rows(next_id(CaseModel), next_id(Assessment), next_id(Condition), next_id(CaseEvent))
    for n, i in enumerate(world.rng.sample(range(points), cases)):
        _case(world, rows, n=n, i=i)
        world.bar.update(3)
    _write(world, rows)
    status_at = ASSESSMENT_COLUMNS.index("status")
    world.counts |= {
        "cases": len(rows.cases),
        "assessments": len(rows.assessments),
        "open_assessments": sum(1 for r in rows.assessments if r[status_at] in ("pending", "incomplete")),
        "conditions": len(rows.conditions),
        "refusals": sum(1 for r in rows.assessments if r[status_at] == "not_approved"),
        "case_events": len(rows.events),
    }


def _deadline_of(world, rows: Rows, start: datetime) -> datetime:
    from prequal.services.deadlines import assessment_deadline

    if start not in rows.deadlines:
        rows.deadlines[start] = assessment_deadline(rule=world.rule, start=start, time_zone=TZ)
    return rows.deadlines[start]


def _draws(world, case: Case) -> list[tuple[str, datetime]]:
    """Each assessing SO's outcome and when it comes (the deadline, for an approval by silence)."""
    rng, draws = world.rng, []
    for _k in range(3):
        r = rng.random()
        outcome = next(o for o, upto in OUTCOMES if r < upto)
        if outcome == "approved_by_silence":
            when = case.deadline
        else:
            when = case.submitted + timedelta(days=rng.triangular(1, 88, 25), seconds=rng.uniform(0, 86400))
        draws.append((outcome, when))
    return draws


def _case(world, rows: Rows, *, n: int, i: int) -> None:
    rng, now = world.rng, world.ref.now
    local = world.grid.locals[world.point_local[i]]
    fsp = world.spu_fsp[i]
    submitted = (now - timedelta(seconds=rng.uniform(60, 365 * 86400))).replace(microsecond=0)
    drafted = submitted - timedelta(seconds=rng.uniform(600, 3 * 86400))
    case = Case(id=rows.case_first + n, fsp_user=world.ref.fsp_user_by_fsp[fsp], submitted=submitted,
                deadline=_deadline_of(world, rows, submitted))
    product = world.products[rng.randrange(len(world.products))].pk
    case.event(None, submitted, case.fsp_user, "user", "submit", "draft", "submitted", "")
    case.event(None, submitted, None, "system", "open_assessment", "submitted", "under_assessment",
               "Assessments opened.")
    draws = _draws(world, case)
    # The FSP may withdraw while some assessment is still open (never after the outcome).
    withdrawn_at = submitted + timedelta(days=rng.uniform(1, 60))
    withdrawn = (rng.random() < WITHDRAWN_SHARE and withdrawn_at < now
                 and max(w for _o, w in draws) > withdrawn_at)
    if withdrawn:
        case.event(None, withdrawn_at, case.fsp_user, "user", "withdraw", "under_assessment", "withdrawn",
                   "Withdrawn by the FSP.")
    sos = (local.pk, local.upstream_id, world.grid.tso.pk)
    for k, (so, draw) in enumerate(zip(sos, draws, strict=True)):
        _assessment(world, rows, case, so=so, k=rows.a_first + 3 * n + k, reasons=REASONS[k], draw=draw,
                    withdrawn_at=withdrawn_at if withdrawn else None)
    if withdrawn:
        case.status = "withdrawn"
    else:
        _case_outcome(world, case)
    rows.cases.append((case.id, fsp, world.spu_first + i, product, case.status, 1, case.fsp_user, submitted,
                       case.decided_at, case.valid_until, case.info_at, case.supplement_due, drafted,
                       max(e[2] for e in case.events)))
    rows.assessments += [_assessment_row(world, case, a) for a in case.assessments]
    case.events.sort(key=lambda e: e[2])
    for e in case.events:
        rows.events.append((rows.e_first + len(rows.events), *e))


def _assessment(world, rows: Rows, case: Case, *, so: int, k: int, reasons, draw, withdrawn_at) -> None:
    """One assessment as it stands now: cancelled by a withdrawal, decided, or still open."""
    outcome, when = draw
    a = {"id": k, "so": so, "status": "pending", "deadline": case.deadline, "decided_at": None,
         "decided_by": None, "reason": "", "justification": "", "limits_explanation": "",
         "incomplete_at": None, "missing": "", "reasons": reasons}
    case.assessments.append(a)
    if withdrawn_at is not None and when >= withdrawn_at:
        a["status"], a["deadline"] = "cancelled", None
        case.event(k, withdrawn_at, case.fsp_user, "user", "cancel", "pending", "cancelled",
                   "Withdrawn by the FSP.")
        return
    if when > world.ref.now:
        return
    a["status"], a["decided_at"] = outcome, when
    if outcome == "approved_by_silence":
        case.event(k, when, None, "deadline", "apply_silence", "pending", outcome,
                   f"No decision by the deadline ({world.rule.legal_basis}).")
        return
    a["decided_by"] = world.ref.engineer_by_so[so]
    if outcome == "not_approved":
        a["justification"], a["limits_explanation"] = JUSTIFICATION, LIMITS_EXPLANATION
    elif outcome == "conditionally_approved":
        a["reason"] = CONDITION_REASON
        rows.conditions.append((rows.c_first + len(rows.conditions), k, Decimal("0.500"), None, "[12, 1, 2]",
                                "[0, 1, 2, 3, 4]", "07:00", "09:00", TZ, when, when))
    case.event(k, when, a["decided_by"], "user", METHOD[outcome], "pending", outcome,
               a["reason"] or a["justification"])


def _case_outcome(world, case: Case) -> None:
    """All decided: the case's outcome (R5). Still open: perhaps declared incomplete (R3)."""
    from prequal.services.deadlines import outcome_valid_until

    open_ = [a for a in case.assessments if a["status"] == "pending"]
    if not open_:
        statuses = {a["status"] for a in case.assessments}
        method, case.status = (
            ("refuse", "not_approved") if "not_approved" in statuses
            else ("approve_conditionally", "conditionally_approved") if "conditionally_approved" in statuses
            else ("approve", "approved")
        )
        case.decided_at = max(a["decided_at"] for a in case.assessments)
        case.valid_until = outcome_valid_until(rule=world.rule, decided_at=case.decided_at, time_zone=TZ)
        case.event(None, case.decided_at, None, "system", method, "under_assessment", case.status,
                   "All assessments are decided.")
        return
    if world.rng.random() >= INCOMPLETE_SHARE:
        return
    # R3: one SO declared it incomplete; every open clock stopped until the FSP supplies.
    declared = max(case.submitted + timedelta(hours=1),
                   world.ref.now - timedelta(days=world.rng.uniform(0.1, 25)))
    if any(a["decided_at"] is not None and a["decided_at"] >= declared for a in case.assessments):
        return
    first = open_[0]
    first["status"], first["incomplete_at"], first["missing"] = "incomplete", declared, MISSING
    for a in open_:
        a["deadline"] = None
    case.info_at, case.supplement_due = declared, declared + timedelta(days=world.rule.supplement_period_days)
    case.event(first["id"], declared, world.ref.engineer_by_so[first["so"]], "user", "declare_incomplete",
               "pending", "incomplete", MISSING)


def _assessment_row(world, case: Case, a: dict) -> tuple:
    """The assessment's row, in ASSESSMENT_COLUMNS' order."""
    return (a["id"], case.id, 1, a["so"], "[" + ", ".join(a["reasons"]) + "]", '"connecting"' in a["reasons"],
            f"[{world.area_of[a['so']]}]", a["status"], a["deadline"], world.rule.pk, case.submitted,
            a["incomplete_at"], a["missing"], a["decided_by"], a["decided_at"], a["reason"],
            a["justification"], a["limits_explanation"], case.submitted,
            a["decided_at"] or a["incomplete_at"] or case.submitted)


def _write(world, rows: Rows) -> None:
    from django.db import transaction

    from observability.models import ConnectionPoint
    from prequal.models import Assessment, CaseEvent, Condition, Spu
    from prequal.models import Case as CaseModel

    bar = world.bar

    def counted(items, step):
        for item in items:
            yield item
            bar.update(step)

    with transaction.atomic():
        TableWriter(CaseModel, CASE_COLUMNS).write(counted(rows.cases, 1))
        TableWriter(Assessment, ASSESSMENT_COLUMNS).write(counted(rows.assessments, 1))
        TableWriter(Condition, CONDITION_COLUMNS).write(iter(rows.conditions))
        TableWriter(CaseEvent, EVENT_COLUMNS).write(counted(rows.events, 0))
        bar.update(len(rows.cases) * 2)
    sequences_reset([ConnectionPoint, Spu, CaseModel, Assessment, Condition, CaseEvent])
