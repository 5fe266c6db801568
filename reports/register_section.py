"""The annual report's register section (SPEC R9, R11; issue 14): per operator, the awards and
activations sent for it in the year (count, MWh) and the double activations refused.

The figures come from register.selectors_figures: the records held in detail plus the monthly
summaries of those retention removed, so the section reads the same before and after retention.
Three queries whatever the register's size.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from register.selectors_figures import KW_MINUTES_PER_MWH, OperatorYear, register_year_figures
from reports.tables import Table, Value


def _mwh(kw_minutes: int) -> float:
    return round(kw_minutes / KW_MINUTES_PER_MWH, 3)


def register_table(*, ops: list[tuple], year: int) -> Table:
    """The register's table over the report's operators (ops: id, name, EIC, tier)."""
    figures = register_year_figures(operator_ids=[pk for pk, *_rest in ops], year=year)
    rows: list[list[Value]] = []
    total = OperatorYear()
    for pk, name, _eic, _tier in ops:
        row = figures.get(pk, OperatorYear())
        for kind, count, kw_minutes in (("award", row.awards, row.award_kw_minutes),
                                        ("activation", row.activations, row.activation_kw_minutes)):
            total.add(kind, count, kw_minutes)
        total.conflicts += row.conflicts
        rows.append(_cells(name, row))
    rows.append(_cells(_("All operators"), total))
    return Table(
        "register", _("Activation register: awards, activations and double activations"),
        [_("Operator"), _("Awards"), _("Awarded (MWh)"), _("Activations"), _("Activated (MWh)"),
         _("Double activations refused")],
        lambda: iter(rows),
        [3, 1, 1.3, 1, 1.3, 1.8],
    )


def _cells(name: str, row: OperatorYear) -> list[Value]:
    return [name, row.awards, _mwh(row.award_kw_minutes), row.activations, _mwh(row.activation_kw_minutes),
            row.conflicts]
