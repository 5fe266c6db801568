"""The demo's attachments (issue 15): a single-line diagram on an FSP's application and a grid
study on an SO's decision, as small valid PDFs drawn here with reportlab. Through the same
service as uploads (attachments.services.attachment_create: type checked by content, stored
through the storage API, written to the case's timeline). Idempotent: known by their file names.
"""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfgen.canvas import Canvas

from accounts.models import Membership, User
from attachments.models import Attachment
from attachments.services import attachment_create
from prequal.models import Assessment, Case

SLD_NAME = "single-line-diagram.pdf"
STUDY_NAME = "grid-study.pdf"
OPEN = (Case.Status.SUBMITTED, Case.Status.UNDER_ASSESSMENT)


def _pdf(draw, *, title: str, size=A4) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=size, invariant=1)  # invariant: the same bytes every run
    canvas.setTitle(title)
    draw(canvas, *size)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def single_line_diagram_pdf(*, title: str, gsrn: str, kw: float) -> bytes:
    """Grid connection → meter → breaker → transformer → inverter → battery, one line."""

    def draw(c: Canvas, width: float, height: float) -> None:
        c.setFont("Helvetica-Bold", 16)
        c.drawString(40, height - 50, title)
        c.setFont("Helvetica", 10)
        c.drawString(40, height - 68, f"Connection point (GSRN) {gsrn}, {kw:g} kW")
        y, x = height / 2, 80
        steps = ("Grid 10 kV", "Meter", "Breaker", "Transformer 10/0.4 kV", "Inverter", f"Battery {kw:g} kW")
        gap = (width - 160) / (len(steps) - 1)
        c.line(x, y, x + gap * (len(steps) - 1), y)
        for i, label in enumerate(steps):
            cx = x + gap * i
            if i % 2:
                c.circle(cx, y, 10, stroke=1, fill=0)
            else:
                c.rect(cx - 10, y - 10, 20, 20)
            c.drawCentredString(cx, y - 28, label)
        c.drawString(40, 40, "Demo document drawn by gridprequal's demo data (demo/attachments.py).")

    return _pdf(draw, title=title, size=landscape(A4))


def grid_study_pdf(*, title: str, operator: str, lines: list[str]) -> bytes:
    def draw(c: Canvas, width: float, height: float) -> None:
        c.setFont("Helvetica-Bold", 16)
        c.drawString(50, height - 60, title)
        c.setFont("Helvetica", 11)
        c.drawString(50, height - 80, operator)
        for i, line in enumerate(lines):
            c.drawString(50, height - 120 - 16 * i, line)

    return _pdf(draw, title=title)


def _engineer_of(assessment: Assessment) -> User | None:
    membership = (
        Membership.objects.filter(
            organisation_id=assessment.system_operator.organisation_id, role=Membership.Role.SO_ENGINEER
        )
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    return membership.user if membership else None


def _fsp_user_of(case: Case) -> User | None:
    membership = (
        Membership.objects.filter(organisation_id=case.fsp.organisation_id, role=Membership.Role.FSP_USER)
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    return membership.user if membership else None


def _attach_diagram() -> int:
    case = (
        Case.objects.filter(status__in=OPEN, spu__isnull=False)
        .select_related("spu__connection_point", "fsp")
        .order_by("-pk")
        .first()
    )
    user = _fsp_user_of(case) if case else None
    if user is None:
        return 0
    spu = case.spu
    body = single_line_diagram_pdf(
        title=f"Single-line diagram: SPU {spu.code}", gsrn=spu.connection_point.gsrn, kw=float(spu.max_up_kw)
    )
    attachment_create(
        user=user, case=case, kind=Attachment.Kind.SINGLE_LINE_DIAGRAM,
        file=SimpleUploadedFile(SLD_NAME, body, content_type="application/pdf"),
    )
    return 1


def _attach_study() -> int:
    decided = (
        Assessment.objects.filter(status=Assessment.Status.CONDITIONALLY_APPROVED)
        .select_related("case__fsp", "system_operator__organisation")
        .order_by("-decided_at", "-pk")
    )
    for assessment in decided[:50]:
        if assessment.round != assessment.case.round:
            continue
        engineer = _engineer_of(assessment)
        if engineer is None:
            continue
        body = grid_study_pdf(
            title=f"Grid study for case #{assessment.case_id}",
            operator=assessment.system_operator.name,
            lines=[
                "Load flow at peak demand with the unit at full output: the 10 kV feeder reaches 96 %.",
                "Conclusion: approved with conditions (a maximum in winter mornings).",
                "Demo document drawn by gridprequal's demo data (demo/attachments.py).",
            ],
        )
        attachment_create(
            user=engineer, case=assessment.case, assessment=assessment, kind=Attachment.Kind.GRID_STUDY,
            file=SimpleUploadedFile(STUDY_NAME, body, content_type="application/pdf"),
        )
        return 1
    return 0


def demo_attachments_load() -> dict[str, int]:
    """Attach the diagram and the study once; what exists is left as it is."""
    created = {"single-line diagrams": 0, "grid studies": 0}
    if not Attachment.objects.filter(filename=SLD_NAME).exists():
        created["single-line diagrams"] = _attach_diagram()
    if not Attachment.objects.filter(filename=STUDY_NAME).exists():
        created["grid studies"] = _attach_study()
    return created
