"""The members of an SPG that count in an activation check (the SPG rule: see the package
docstring), and why the others do not.

A member counts when its membership covers the whole period and the SPU is active, unless
- an approval of the round whose outcome holds leaves it out (prequal.models.exclusions: "an
  SO may approve an SPG except named members"), or
- the group is being re-assessed and the member joined after the outcome that holds was
  reached: it counts once its assessing SOs have decided (the new round's outcome).
"""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _

from common.db import fetch_all, model_columns
from observability.models import ConnectionPoint
from prequal.models import Assessment, Case, Spg, Spu

_MEMBER_COLUMNS = (
    *model_columns(Spu, ("id", "code", "max_up_kw", "max_down_kw", "connection_point_id")),
    *model_columns(ConnectionPoint, ("longitude", "latitude")),
)


def _held_round(case_row, reassessing: bool) -> tuple[int, datetime | None]:
    """(the round whose outcome holds, when it was reached if a re-assessment runs, else None)."""
    case_id, _status, round_, _previous, _valid_until = case_row
    if not reassessing:
        return round_, None
    # The latest earlier round none of whose assessments was cancelled reached the outcome.
    [(held, reached_at)] = fetch_all(
        "SELECT (SELECT MAX(a.round) FROM prequal_assessment a WHERE a.case_id = c.id AND a.round < c.round "
        "AND NOT EXISTS (SELECT 1 FROM prequal_assessment x WHERE x.case_id = c.id AND x.round = a.round "
        "AND x.status = %s)), c.previous_decided_at FROM prequal_case c WHERE c.id = %s",
        [Assessment.Status.CANCELLED, case_id],
        columns=(None, *model_columns(Case, ("previous_decided_at",))),
    )
    return held or round_ - 1, reached_at


def spg_members(*, spg: Spg, case_row, reassessing: bool, start: datetime, end: datetime):
    """(the members that count: (id, code, up kW, down kW, point id, lon, lat) each, and a reason
    for each member that does not)."""
    held, reached_at = _held_round(case_row, reassessing)
    joined_later = "m.created_at > %s" if reached_at is not None else "FALSE"
    rows = fetch_all(
        "SELECT s.id, s.code, s.max_up_kw, s.max_down_kw, s.connection_point_id, cp.longitude, cp.latitude, "
        "EXISTS(SELECT 1 FROM prequal_excludedmember e JOIN prequal_assessment a ON a.id = e.assessment_id "
        f"WHERE a.case_id = %s AND a.round = %s AND e.spu_id = s.id), {joined_later} "
        "FROM prequal_spgmembership m "
        "JOIN prequal_spu s ON s.id = m.spu_id "
        "JOIN observability_connectionpoint cp ON cp.id = s.connection_point_id "
        "WHERE m.spg_id = %s AND m.valid_from <= %s AND (m.valid_to IS NULL OR m.valid_to >= %s) "
        "AND s.is_active ORDER BY s.id",
        [case_row[0], held, *([reached_at] if reached_at is not None else []), spg.pk, start, end],
        columns=_MEMBER_COLUMNS,
    )
    members, left_out = [], []
    for *member, excluded, pending in rows:
        if excluded:
            left_out.append(
                _("Member SPU %(code)s does not count: the group is prequalified without it.")
                % {"code": member[1]}
            )
        elif pending:
            left_out.append(
                _("Member SPU %(code)s does not count until its assessing system operators have decided.")
                % {"code": member[1]}
            )
        else:
            members.append(tuple(member))
    return members, left_out
