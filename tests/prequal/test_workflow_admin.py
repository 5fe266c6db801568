"""The admin: deadline rules are editable data; cases and the audit trail are read-only."""

from __future__ import annotations

from django.urls import reverse

from prequal.models import CaseEvent, DeadlineRule


def test_admin_pages_render(client, wf):
    case = wf.submitted()
    client.force_login(wf.cast.admin)
    event = case.events.first()
    for url in (
        reverse("admin:prequal_case_changelist"),
        reverse("admin:prequal_case_change", args=[case.pk]),
        reverse("admin:prequal_assessment_changelist"),
        reverse("admin:prequal_caseevent_changelist"),
        reverse("admin:prequal_caseevent_change", args=[event.pk]),
        reverse("admin:prequal_deadlinerule_changelist"),
    ):
        assert client.get(url).status_code == 200, url


def test_the_audit_trail_cannot_be_added_changed_or_deleted_in_the_admin(client, wf):
    case = wf.submitted()
    event = case.events.first()
    client.force_login(wf.cast.admin)
    assert client.get(reverse("admin:prequal_caseevent_add")).status_code == 403
    response = client.post(reverse("admin:prequal_caseevent_change", args=[event.pk]), {"reason": "x"})
    assert response.status_code == 403
    response = client.post(reverse("admin:prequal_caseevent_delete", args=[event.pk]), {"post": "yes"})
    assert response.status_code == 403
    response = client.post(reverse("admin:prequal_caseevent_changelist"),
                           {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"})
    assert CaseEvent.objects.filter(pk=event.pk, reason="").exists()
    assert client.get(reverse("admin:prequal_case_add")).status_code == 403


def test_a_deadline_rule_can_be_added_in_the_admin(client, cast):
    client.force_login(cast.admin)
    response = client.post(reverse("admin:prequal_deadlinerule_add"), {
        "jurisdiction": "NO", "name": "Norway", "legal_basis": "FoS § 14", "period_months": 2,
        "period_days": 0, "supplement_period_days": 21, "reminder_days": "[5, 1]",
        "outcome_validity_months": 36, "valid_from_0": "2027-01-01", "valid_from_1": "00:00:00",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = DeadlineRule.objects.get(jurisdiction="NO")
    assert (rule.period_months, rule.reminder_days) == (2, [5, 1])
