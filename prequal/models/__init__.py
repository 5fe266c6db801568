"""The prequal app's models, one module per concept; import them from here.

resources: FSPs, SPUs, SPGs and memberships, products · deadlines: deadline rules ·
cases: cases and their lifecycle · assessments: assessments and their reminders ·
conditions: conditions of a conditional approval · exclusions: members an SPG's approval leaves
out · events: the audit trail · rollup: decisions per operator, month and outcome · readers: the
SPUs and SPGs each operator reads (SPEC §4).
"""

from prequal.models.assessments import Assessment, AssessmentReminder
from prequal.models.cases import Case, CaseQuerySet
from prequal.models.conditions import Condition
from prequal.models.deadlines import DeadlineRule, default_reminder_days
from prequal.models.events import CaseEvent, CaseEventQuerySet, ImmutableRecordError
from prequal.models.exclusions import ExcludedMember
from prequal.models.readers import SpgReader, SpuReader
from prequal.models.resources import Direction, Fsp, Product, Spg, SpgMembership, Spu
from prequal.models.rollup import DECISION_TIME_ZONE, DecisionRollup

__all__ = [
    "Assessment",
    "AssessmentReminder",
    "Case",
    "CaseEvent",
    "CaseEventQuerySet",
    "CaseQuerySet",
    "DECISION_TIME_ZONE",
    "DecisionRollup",
    "Condition",
    "DeadlineRule",
    "Direction",
    "ExcludedMember",
    "Fsp",
    "ImmutableRecordError",
    "Product",
    "Spg",
    "SpgMembership",
    "SpgReader",
    "Spu",
    "SpuReader",
    # Referenced by migration 0002 as prequal.models.default_reminder_days.
    "default_reminder_days",
]
