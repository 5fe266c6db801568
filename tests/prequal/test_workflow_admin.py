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


def test_a_units_point_and_a_groups_members_are_read_only_in_the_admin(client, cast, registry):
    """They change through the services, which keep who reads them and what the register holds
    where in step (prequal.services.resources)."""
    spu, spg = registry["spu_a"], registry["spg_a"]
    client.force_login(cast.admin)
    page = client.get(reverse("admin:prequal_spu_change", args=[spu.pk]))
    assert page.status_code == 200
    assert "connection_point" not in page.context["adminform"].form.fields
    page = client.get(reverse("admin:prequal_spg_change", args=[spg.pk]))
    assert page.status_code == 200
    [inline] = page.context["inline_admin_formsets"]
    assert not inline.has_add_permission and not inline.has_change_permission
    assert not inline.has_delete_permission
