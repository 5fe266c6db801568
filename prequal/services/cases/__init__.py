"""The grid prequalification workflow (SPEC R1–R6): every write to cases and assessments.

Concurrency: every writer locks the case row first (select_for_update; a no-op on SQLite,
where the IMMEDIATE transaction mode serialises writers), then saves the assessment with
ConcurrentTransitionMixin's status-filtered UPDATE. So two engineers, an engineer and the
sweep, or two sweeps, serialise per case: exactly one wins, the other gets
"changed meanwhile" (people) or skips the row (the sweep).

Transitions on the models are side-effect free; the services here call them inside
transaction.atomic(), save, write the CaseEvent audit row, and queue notifications with
transaction.on_commit.

One module per part of the workflow: drafts, submission (and withdrawal), completeness (R3),
decisions (R5, R6: decisions, silence, outcomes), changes (material change, R2) and
sweep_steps (what the deadline sweep calls); _common holds what they share. Import from
prequal.services.cases: every public name is re-exported here.
"""

from prequal.services.cases._common import (
    CHANGED_MEANWHILE,
    AssessmentPlan,
    CaseChangedMeanwhile,
    DeadlinePassed,
    Via,
    case_points,
    notify_on_commit,
)
from prequal.services.cases.changes import resource_material_change
from prequal.services.cases.completeness import assessment_declare_incomplete, case_supply_information
from prequal.services.cases.decisions import (
    CONDITION_FIELDS,
    Outcome,
    assessment_apply_silence,
    assessment_decide,
    assessments_apply_silence,
    cases_settle_outcomes,
    outcome_event,
    outcome_method,
    silence_event,
)
from prequal.services.cases.drafts import (
    case_create_draft,
    case_delete_draft,
    case_preview_assessing_sos,
    case_update_draft,
)
from prequal.services.cases.submission import case_submit, case_withdraw
from prequal.services.cases.sweep_steps import case_expire, case_withdraw_after_supplement_period

__all__ = [
    "DeadlinePassed",
    "CHANGED_MEANWHILE",
    "CONDITION_FIELDS",
    "AssessmentPlan",
    "CaseChangedMeanwhile",
    "Outcome",
    "Via",
    "assessment_apply_silence",
    "assessment_decide",
    "assessment_declare_incomplete",
    "assessments_apply_silence",
    "case_create_draft",
    "case_delete_draft",
    "case_expire",
    "case_points",
    "case_preview_assessing_sos",
    "case_submit",
    "case_supply_information",
    "case_update_draft",
    "case_withdraw",
    "case_withdraw_after_supplement_period",
    "cases_settle_outcomes",
    "notify_on_commit",
    "outcome_event",
    "outcome_method",
    "resource_material_change",
    "silence_event",
]
