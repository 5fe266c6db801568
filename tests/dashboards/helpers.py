"""Helpers of the dashboard tests: cases at the local DSO with chosen deadlines, figures by key,
and the rows a figure's link lists."""

from __future__ import annotations

from datetime import datetime

import time_machine

from prequal.models import Assessment, Case
from prequal.services.cases import case_create_draft, case_submit
from tests.factories import ConnectionPointFactory, SpuFactory
from tests.workflow_helpers import T0, Workflow


def local_cases(wf: Workflow, n: int, *, fsp=None, at: datetime = T0) -> list[Case]:
    """`n` cases submitted at `at`, each of a new SPU of FSP A (or `fsp`) at the local DSO: the
    local DSO (connecting) and the TSO (procuring) assess them."""
    fsp = fsp or wf.cast.fsp_a
    user = wf.cast.fsp_a_user if fsp == wf.cast.fsp_a else wf.cast.fsp_b_user
    cases = []
    with time_machine.travel(at, tick=False):
        for _ in range(n):
            spu = SpuFactory(fsp=fsp, connection_point=ConnectionPointFactory(connecting_so=wf.cast.local))
            draft = case_create_draft(user=user, spu=spu, product=wf.product)
            cases.append(case_submit(user=user, case=draft))
    return cases


def set_deadline(wf: Workflow, case: Case, deadline: datetime, so=None) -> Assessment:
    """Move the local DSO's (or `so`'s) clock on `case` to `deadline`."""
    assessment = wf.assessment(case, so or wf.cast.local)
    Assessment.objects.filter(pk=assessment.pk).update(deadline=deadline)
    return assessment


def counts(figures) -> dict[str, int]:
    return {f.key: f.count for f in figures}


def by_key(figures, key: str):
    return next(f for f in figures if f.key == key)


def listed(client, url: str) -> list:
    """The rows (objects of page_obj) the list at `url` shows."""
    response = client.get(url)
    assert response.status_code == 200
    return list(response.context["page_obj"])
