"""The FSP portal's CSV import of SPUs and their connection points."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from observability.models import ConnectionPoint
from prequal.forms_import import SpuImportForm
from prequal.imports import COLUMNS, spu_import_csv, spu_import_template_rows
from prequal.imports.service import spu_import_template_operator_eic
from prequal.models import Spu
from prequal.selectors.resources import fsps_for_user
from prequal.services.resources import fsp_for_user


def _own_fsps(user):
    fsps = fsps_for_user(user=user)
    if not fsps.exists():
        raise PermissionDenied  # only FSP users register units
    return fsps


@login_required
def spu_import(request: HttpRequest) -> HttpResponse:
    fsps = _own_fsps(request.user)
    if request.method == "POST":
        form = SpuImportForm(request.POST, request.FILES, fsps=fsps)
    else:
        form = SpuImportForm(fsps=fsps)
    result = None
    if request.method == "POST" and form.is_valid():
        fsp = fsp_for_user(user=request.user, fsp=form.chosen_fsp())
        result = spu_import_csv(
            user=request.user, fsp=fsp, file=form.cleaned_data["file"],
            dry_run=form.cleaned_data["dry_run"],
        )
        if result.ok and not result.dry_run:
            messages.success(request, f"{result.summary()} {result.read_as}")
            return redirect("prequal:spu-list")
        if result.ok:
            messages.info(request, result.summary())
        else:
            messages.error(request, result.summary())
    return render(request, "prequal/import.html", {
        "form": form, "result": result, "columns": COLUMNS,
        "technologies": Spu.Technology.values, "voltage_levels": ConnectionPoint.VoltageLevel.values,
    })


@require_GET
@login_required
def spu_import_template(request: HttpRequest) -> HttpResponse:
    """The header and one example row; the example connects to a real operator when there is one."""
    fsp = _own_fsps(request.user).first()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="gridprequal-spu-import-template.csv"'
    writer = csv.writer(response)
    writer.writerows(spu_import_template_rows(example_so_eic=spu_import_template_operator_eic(), fsp=fsp))
    return response
