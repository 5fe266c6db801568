"""The prequalification behind an activation check: the case whose outcome holds, its conditions."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from common.db import fetch_all, instance, model_columns
from prequal.models import Case, Condition, Product, Spu


def _case_for(*, resource, product: Product):
    """The case whose outcome holds (or, if none, the newest one to explain the refusal).

    Returns (row, outcome, reassessing); row is (id, status, round, previous_outcome, valid_until).
    """
    prefetched = getattr(resource, "prefetched_cases", None)
    if prefetched is not None and prefetched[0] == product.pk:
        return _pick_case(prefetched[1])
    column = "spu_id" if isinstance(resource, Spu) else "spg_id"
    rows = fetch_all(
        f"SELECT id, status, round, previous_outcome, valid_until FROM prequal_case "
        f"WHERE {column} = %s AND product_id = %s ORDER BY id DESC LIMIT 20",
        [resource.pk, product.pk],
        columns=model_columns(Case, ("id", "status", "round", "previous_outcome", "valid_until")),
    )
    return _pick_case([(pk, st, rnd, prev or "", until) for pk, st, rnd, prev, until in rows])


def _pick_case(rows: list[tuple]):
    for row in rows:
        pk, status, round_, previous, valid_until = row
        outcome = Case.prequalifying_outcome(status=status, previous_outcome=previous)
        if outcome is not None:
            return row, outcome, status != outcome
    return (rows[0] if rows else None), None, False


def _conditions(*, case_row, reassessing: bool) -> list[Condition]:
    """The conditions of the round whose outcome holds, each with `so_id`, `so_name`, `round_`."""
    pk, _status, round_, _previous, _valid = case_row
    fields = tuple(f.attname for f in Condition._meta.concrete_fields)
    rows = fetch_all(
        f"SELECT {', '.join(f'c.{name}' for name in fields)}, a.round, a.system_operator_id, o.name "
        "FROM prequal_condition c JOIN prequal_assessment a ON a.id = c.assessment_id "
        "JOIN observability_systemoperator so ON so.id = a.system_operator_id "
        "JOIN accounts_organisation o ON o.id = so.organisation_id "
        "WHERE a.case_id = %s AND a.round <= %s ORDER BY c.id",
        [pk, round_],
        columns=model_columns(Condition, fields),
    )
    conditions = []
    for row in rows:
        condition = instance(Condition, fields, row[: len(fields)])
        condition.round_, condition.so_id, condition.so_name = row[len(fields) :]
        conditions.append(condition)
    if not reassessing:
        return [c for c in conditions if c.round_ == round_]
    # Re-assessment: the conditions of the latest earlier round that reached the outcome.
    earlier = [c for c in conditions if c.round_ < round_]
    if not earlier:
        return []
    last = max(c.round_ for c in earlier)
    return [c for c in earlier if c.round_ == last]


# Lazy: built at import, translated in the language of each answer.
NOT_PREQUALIFIED = {
    None: gettext_lazy("%(res)s is not prequalified for %(product)s: there is no application."),
    Case.Status.DRAFT: gettext_lazy(
        "%(res)s is not prequalified for %(product)s: the application is a draft."
    ),
    Case.Status.SUBMITTED: gettext_lazy(
        "%(res)s is not prequalified for %(product)s yet: the application is not decided."
    ),
    Case.Status.UNDER_ASSESSMENT: gettext_lazy(
        "%(res)s is not prequalified for %(product)s yet: the application is under assessment."
    ),
    Case.Status.NOT_APPROVED: gettext_lazy(
        "%(res)s is not prequalified for %(product)s: the application was not approved."
    ),
    Case.Status.WITHDRAWN: gettext_lazy(
        "%(res)s is not prequalified for %(product)s: the application was withdrawn."
    ),
    Case.Status.EXPIRED: gettext_lazy(
        "%(res)s is not prequalified for %(product)s: the prequalification expired."
    ),
}
