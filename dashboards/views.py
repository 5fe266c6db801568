"""The home page: each role's dashboard (issue 15). A user with several roles sees each section;
one with none sees how to get one."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from dashboards.selectors_fsp import fsp_dashboard
from dashboards.selectors_nra import nra_dashboard
from dashboards.selectors_so import so_dashboard


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    return render(request, "dashboards/home.html", {
        "so": so_dashboard(user=request.user, now=now),
        "fsp": fsp_dashboard(user=request.user, now=now),
        "nra": nra_dashboard(user=request.user, now=now),
    })
