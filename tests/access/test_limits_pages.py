"""Who may open the temporary-limit pages and the activation-check page (SPEC §4; R7, R8): every
role against every page, and anonymous visitors."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from tests.limit_helpers import NOW, a_limit

# Sessions expire: log in and browse at the same (travelled) time.
pytestmark = pytest.mark.usefixtures("at_now")


def _urls(limit):
    return {
        "list": reverse("limits:limit-list"),
        "create": reverse("limits:limit-create"),
        "detail": reverse("limits:limit-detail", args=[limit.pk]),
        "edit": reverse("limits:limit-edit", args=[limit.pk]),
        "lift": reverse("limits:limit-lift", args=[limit.pk]),
        "check": reverse("limits:activation-check"),
    }


MATRIX = {
    "local_engineer": {"list": 200, "create": 200, "detail": 200, "edit": 200, "lift": 302, "check": 200},
    "local_viewer": {"list": 200, "create": 403, "detail": 200, "edit": 403, "lift": 403, "check": 200},
    "other_local_engineer": {
        "list": 200,
        "create": 200,
        "detail": 404,
        "edit": 404,
        "lift": 404,
        "check": 200,
    },
    "fsp_a_user": {"list": 200, "create": 403, "detail": 200, "edit": 403, "lift": 403, "check": 200},
    "fsp_b_user": {"list": 200, "create": 403, "detail": 404, "edit": 404, "lift": 404, "check": 200},
    "nra_analyst": {"list": 200, "create": 403, "detail": 200, "edit": 403, "lift": 403, "check": 200},
    "outsider": {"list": 200, "create": 403, "detail": 404, "edit": 404, "lift": 404, "check": 403},
}


@pytest.mark.parametrize("who", sorted(MATRIX))
def test_permission_matrix(grid, client, who):
    limit = a_limit(grid)
    client.force_login(getattr(grid.cast, who))
    with time_machine.travel(NOW, tick=False):
        for page, url in _urls(limit).items():
            response = client.post(url) if page == "lift" else client.get(url)
            assert response.status_code == MATRIX[who][page], (who, page)
    limit.refresh_from_db()
    assert (limit.lifted_at is not None) == (who == "local_engineer")


def test_anonymous_is_sent_to_the_login_page(grid, client):
    limit = a_limit(grid)
    for page, url in _urls(limit).items():
        response = client.post(url) if page == "lift" else client.get(url)
        assert response.status_code == 302 and reverse("login") in response["Location"], page
