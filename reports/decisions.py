"""The list of conditional and refused decisions in the annual report (SPEC R9): a page of it,
and every row streamed for the downloads, each with its conditions described.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from types import SimpleNamespace
from typing import TYPE_CHECKING

from django.db import connections
from django.db.models import F, Func, QuerySet, TextField
from django.db.models import Value as Const
from django.db.models.functions import Cast, Coalesce, NullIf
from django.utils.translation import get_language

from prequal.models import Assessment, Condition
from reports.selectors import REPORT_TIME_ZONE, report_read_session

if TYPE_CHECKING:
    from reports.builder import Value

S = Assessment.Status
LIST_CHUNK = 2000  # rows per fetch of the streamed list

LIST_FIELDS = (
    "pk", "system_operator__organisation__name", "case_id", "round", "case__fsp__organisation__name",
    "case__spu__code", "case__spg__code", "case__product__name", "status", "decided_at", "reason",
    "justification", "limits_explanation",
)
# A condition's fields as describe() reads them; the JSON lists come as their text (decoded
# only when the description is not cached).
CONDITION_VALUES = (
    "max_up_mw", "max_down_mw", "months_text", "weekdays_text", "start_time", "end_time", "time_zone",
    "valid_from", "valid_to", "note",
)
LIST_ORDER = ("system_operator__organisation__name", "decided_at", "pk")
# CONDITION_VALUES read through an assessment.
_JOINED_CONDITION_VALUES = tuple(
    name if name.endswith("_text") else f"conditions__{name}" for name in CONDITION_VALUES
)


@functools.lru_cache(maxsize=4096)
def _describe(
    max_up_mw, max_down_mw, months, weekdays, start_time, end_time, time_zone, valid_from, valid_to, note,
    language, localized=False,
) -> str:
    """Condition.describe() for these values: the same few conditions recur all over a year."""
    fields = SimpleNamespace(
        max_up_mw=max_up_mw, max_down_mw=max_down_mw, months=json.loads(months),
        weekdays=json.loads(weekdays), start_time=start_time, end_time=end_time, time_zone=time_zone,
        valid_from=valid_from, valid_to=valid_to, note=note,
    )
    return Condition.describe(fields, localized=localized)


def _conditions(qs: QuerySet[Condition]):
    return qs.annotate(
        months_text=Cast("months", TextField()), weekdays_text=Cast("weekdays", TextField())
    ).values_list("assessment_id", *CONDITION_VALUES)


def conditional_and_refused(decisions: QuerySet[Assessment]):
    """The conditional and refused decisions in report order, as plain tuples (LIST_FIELDS):
    no model instances, so a long list costs little per row."""
    fields = list(LIST_FIELDS)
    qs = decisions.filter(status__in=(S.CONDITIONALLY_APPROVED, S.NOT_APPROVED))
    if connections[decisions.db].vendor == "postgresql":
        # The local time as the report shows it, formatted by the server: no datetime per row.
        qs = qs.annotate(decided_local=_LocalMinute(F("decided_at")))
        fields[fields.index("decided_at")] = "decided_local"
    if (get_language() or "").startswith("sv"):
        # The product's Swedish name where it has one (Product.label, in SQL).
        qs = qs.annotate(product_label=Coalesce(
            NullIf(F("case__product__name_sv"), Const("")), F("case__product__name")
        ))
        fields[fields.index("case__product__name")] = "product_label"
    return qs.order_by(*LIST_ORDER).values_list(*fields)


class _LocalMinute(Func):
    """PostgreSQL: the instant as 'YYYY-MM-DD HH:MM' in the report's time zone."""

    output_field = TextField()

    def as_sql(self, compiler, connection, **extra_context):
        zone = str(REPORT_TIME_ZONE.key).replace("'", "")
        template = f"to_char(%(expressions)s AT TIME ZONE '{zone}', 'YYYY-MM-DD HH24:MI')"
        return super().as_sql(compiler, connection, template=template, **extra_context)


class _RowMaker:
    def __init__(self, *, localized: bool = False) -> None:
        self.localized = localized
        self.labels = {value: str(label) for value, label in S.choices}
        self.language = get_language()

    def describe(self, values) -> str:
        return _describe(*values, self.language, self.localized)

    def row(self, item: tuple, described: list[str]) -> list[Value]:
        (_pk, operator, case_id, round_, fsp, spu, spg, product, status, decided_at, reason, justification,
         explanation) = item
        return [
            operator, case_id, round_, fsp, f"SPU {spu}" if spu is not None else f"SPG {spg}", product,
            self.labels[status],
            decided_at if decided_at.__class__ is str
            else decided_at.astimezone(REPORT_TIME_ZONE).strftime("%Y-%m-%d %H:%M"),
            reason, justification, explanation, " | ".join(described),
        ]


def decision_rows(batch: list[tuple], *, localized: bool = False) -> list[list[Value]]:
    """Report rows for a few conditional_and_refused() tuples (a page), with their conditions;
    `localized`: the conditions' quantities in the reader's form (the page; not the API)."""
    maker = _RowMaker(localized=localized)
    described: dict[int, list[str]] = {}
    ids = [item[0] for item in batch]
    conditions = _conditions(Condition.objects.filter(assessment_id__in=ids).order_by("assessment_id", "pk"))
    for assessment_id, *values in conditions:
        described.setdefault(assessment_id, []).append(maker.describe(values))
    return [maker.row(item, described.get(item[0], [])) for item in batch]


def decision_list_rows(decisions: QuerySet[Assessment]) -> Iterator[list[Value]]:
    """Every conditional and refused decision with its conditions, streamed.

    Two chunked cursors in the same order, merged: the decisions, and the same decisions joined
    to their conditions (one row per condition, one empty row for a decision without). No
    per-batch lookups, whatever the length of the list. A join, not `assessment__in=`: a
    semi-join the planner underestimates becomes a nested loop that rescans the decisions once
    per condition (quadratic, minutes on a few thousand rows).
    """
    listed = conditional_and_refused(decisions)
    conditions = (
        decisions.filter(status__in=(S.CONDITIONALLY_APPROVED, S.NOT_APPROVED))
        .annotate(
            months_text=Cast("conditions__months", TextField()),
            weekdays_text=Cast("conditions__weekdays", TextField()),
        )
        .order_by(*LIST_ORDER, "conditions__pk")
        .values_list("pk", "conditions__pk", *_JOINED_CONDITION_VALUES)
    )
    with report_read_session(decisions.db):
        maker = _RowMaker()
        conditions = conditions.iterator(chunk_size=LIST_CHUNK)
        pending = next(conditions, None)
        for item in listed.iterator(chunk_size=LIST_CHUNK):
            described = []
            while pending is not None and pending[0] == item[0]:
                if pending[1] is not None:
                    described.append(maker.describe(pending[2:]))
                pending = next(conditions, None)
            yield maker.row(item, described)
