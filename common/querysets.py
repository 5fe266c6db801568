"""A queryset that counts from narrower rows while they describe it exactly.

A list scoped through rows kept for it (prequal's SPU readers, observability's point readers)
pages off those rows' index in order; counting through the join would read every scoped object
(the TSO's 200,000 units) for every page. `counted_by(rows)` says that `rows` has as many rows
as the queryset; any later filter the queryset itself did not carry over drops that, and the
count is the exact one through the join again.
"""

from __future__ import annotations

from django.db import models


class RowCountedQuerySet(models.QuerySet):
    _count_rows = None  # rows as many as this queryset's, while nothing else narrows it

    def _clone(self):
        clone = super()._clone()
        clone._count_rows = self._count_rows
        return clone

    def _filter_or_exclude(self, negate, args, kwargs):
        clone = super()._filter_or_exclude(negate, args, kwargs)
        clone._count_rows = None
        return clone

    def counted_by(self, rows: models.QuerySet) -> RowCountedQuerySet:
        clone = self._chain()
        clone._count_rows = rows
        return clone

    def count(self) -> int:
        query = self.query
        exact = self._result_cache is not None or query.is_sliced or query.combinator or query.is_empty()
        if self._count_rows is not None and not exact:
            return self._count_rows.count()
        return super().count()
