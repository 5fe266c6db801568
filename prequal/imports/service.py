"""The entry point: import an FSP's SPUs from a CSV file, all or nothing; the template rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import IO

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from common.validators import gs1_check_digit
from observability.models import ConnectionPoint, SystemOperator
from observability.points import PointChecks
from prequal.imports.columns import COLUMNS, TEMPLATE_ROW
from prequal.imports.importer import _Importer
from prequal.imports.results import ImportResult, RowError
from prequal.imports.staging import ImportStaging
from prequal.models import Fsp, Spu
from prequal.services.readers import spu_readers_refresh
from prequal.services.resources import fsp_for_user


class _Changed(Exception):
    """The registry changed between the checks and the swap."""


_UPLOAD_LIMIT = object()


def spu_import_csv(
    *, user, fsp: Fsp, file: IO, dry_run: bool = False, progress: Callable[[int], None] | None = None,
    max_bytes: int | None | object = _UPLOAD_LIMIT,
) -> ImportResult:
    """Import SPUs (and the connection points they need) from a CSV file; all or nothing.

    `file` is a binary file object (an upload, or a file opened with "rb"). Returns an
    ImportResult: when `errors` is not empty nothing was stored. Raises PermissionDenied
    when `user` does not act for `fsp`.

    Checked rows wait in temporary tables (prequal.imports.staging), outside any transaction
    of their own, so other users' writes go on while the file is checked; when every row is
    good they go into the real tables in one short transaction.

    Files larger than `max_bytes` are refused; the default is the upload limit
    (settings.GRIDPREQUAL_MAX_UPLOAD_BYTES), None means no limit (an operator's local file).
    """
    fsp = fsp_for_user(user=user, fsp=fsp)
    if max_bytes is _UPLOAD_LIMIT:
        max_bytes = settings.GRIDPREQUAL_MAX_UPLOAD_BYTES
    staging = None if dry_run else ImportStaging()
    importer = _Importer(fsp=fsp, dry_run=dry_run, progress=progress, max_bytes=max_bytes, staging=staging)
    if staging is None:
        importer.run(file)
        return importer.result()
    try:
        staging.create()
        importer.run(file)
        if not importer.errors:
            with transaction.atomic():
                if staging.swap(fsp_id=fsp.pk, now=importer.now) != staging.staged_spus:
                    raise _Changed  # a connection point was deleted meanwhile: roll back
                # Their connecting SOs read them (SPEC §4): two statements for the whole file.
                spu_readers_refresh(
                    spus=Spu.objects.filter(fsp_id=fsp.pk, created_at=importer.started_at), new=True
                )
    except (IntegrityError, _Changed):
        # Someone registered the same GSRN or SPU code while we were importing.
        importer.errors.append(RowError(0, "", _(
            "Some of these SPUs or connection points were registered by someone else during "
            "the import; nothing was stored. Please import the file again."
        )))
    finally:
        staging.drop()
    return importer.result()


def spu_import_template_rows(*, example_so_eic: str | None = None, fsp: Fsp | None = None) -> list[list[str]]:
    """The header and one example row, for the downloadable template.

    With `fsp`, the example's SPU code and GSRN are ones not registered yet, so the template
    imports as it is (two queries)."""
    example = dict(TEMPLATE_ROW, **({"connecting_so_eic": example_so_eic} if example_so_eic else {}))
    if fsp is not None:
        example["spu_code"], example["gsrn"] = _free_code(fsp), _free_gsrn()
    return [list(COLUMNS), [example[c] for c in COLUMNS]]


_CANDIDATES = 200


def spu_import_template_operator_eic() -> str | None:
    """The EIC of a distribution operator whose grid holds the template's example point (else the
    first operator's), so the example passes the plausibility checks (observability.points)."""
    checks = PointChecks()
    operators = list(
        SystemOperator.objects.order_by("tier", "pk").values_list("pk", "organisation__eic_code", "tier")
    )
    for so_id, eic, tier in operators:
        if tier != "tso" and not checks.problems(
            so_id=so_id, lon=float(TEMPLATE_ROW["x"]), lat=float(TEMPLATE_ROW["y"]),
            bidding_zone=TEMPLATE_ROW["bidding_zone"],
        ):
            return eic
    return operators[0][1] if operators else None


def _free_code(fsp: Fsp) -> str:
    candidates = [f"BAT-{n:04d}" for n in range(1, _CANDIDATES + 1)]
    taken = set(Spu.objects.filter(fsp=fsp, code__in=candidates).values_list("code", flat=True))
    return next((code for code in candidates if code not in taken), TEMPLATE_ROW["spu_code"])


def _free_gsrn() -> str:
    payload = int(TEMPLATE_ROW["gsrn"][:-1])
    candidates = [str(n) + gs1_check_digit(str(n)) for n in range(payload, payload + _CANDIDATES)]
    taken = set(ConnectionPoint.objects.filter(gsrn__in=candidates).values_list("gsrn", flat=True))
    return next((gsrn for gsrn in candidates if gsrn not in taken), TEMPLATE_ROW["gsrn"])
