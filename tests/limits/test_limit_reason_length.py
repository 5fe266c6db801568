"""A limit's reason has a limit (2,000 characters), on the page, the API and the model (issue 13).

A 3 MB reason made every activation-check answer that repeats it 6 MB.
"""

from __future__ import annotations

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from common.text import REASON_MAX_LENGTH
from limits.models import TemporaryLimit
from tests.limit_helpers import NOW, a_limit, limit_body
from tests.limits.test_limits_views import form_data

pytestmark = pytest.mark.usefixtures("at_now")

TOO_LONG = "r" * (REASON_MAX_LENGTH + 1)


def test_the_api_refuses_an_overlong_reason_on_its_field(grid, api_as):
    response = api_as(grid.cast.local_engineer).post(
        "/api/limits/", limit_body(grid, reason=TOO_LONG), format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["reason"]
    assert "2000" in response.json()["errors"]["reason"][0]
    assert not TemporaryLimit.objects.exists()


def test_the_api_refuses_an_overlong_reason_on_update(grid, api_as):
    limit = a_limit(grid)
    response = api_as(grid.cast.local_engineer).patch(
        f"/api/limits/{limit.pk}/", {"reason": TOO_LONG}, format="json"
    )
    assert response.status_code == 400
    assert "2000" in response.json()["errors"]["reason"][0]
    limit.refresh_from_db()
    assert limit.reason == "Maintenance"


def test_the_form_refuses_an_overlong_reason_with_the_limit(grid, client):
    client.force_login(grid.cast.local_engineer)
    with time_machine.travel(NOW, tick=False):
        response = client.post(reverse("limits:limit-create"), form_data(grid, reason=TOO_LONG))
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["reason"]
    assert "2000" in form.errors["reason"][0]
    assert 'maxlength="2000"' in response.content.decode()
    assert not TemporaryLimit.objects.exists()


def test_the_model_checks_the_reason_too(grid):
    limit = a_limit(grid)
    limit.reason = TOO_LONG
    with pytest.raises(ValidationError) as caught:
        limit.full_clean()
    assert "reason" in caught.value.message_dict
