"""The case page's attachments section: {% case_attachments case %} (one line in prequal's page)."""

from __future__ import annotations

from django import template
from django.conf import settings

from attachments.forms import AttachmentForm
from attachments.selectors import attach_rights, attachment_list_for_case

register = template.Library()


@register.inclusion_tag("attachments/_case_attachments.html", takes_context=True)
def case_attachments(context, case) -> dict:
    user = context["request"].user
    rights = attach_rights(user=user, case=case)
    return {
        "case": case,
        "attachments": list(attachment_list_for_case(case=case)),
        "fsp_form": (
            AttachmentForm(rights=rights, as_so=False, auto_id="id_fsp_%s") if rights.as_fsp else None
        ),
        "so_form": (
            AttachmentForm(rights=rights, as_so=True, auto_id="id_so_%s") if rights.assessments else None
        ),
        "max_mb": settings.GRIDPREQUAL_ATTACHMENT_MAX_BYTES / 1048576,
        "csrf_token": context.get("csrf_token"),
    }
