"""Numbers in texts the code composes (issue 15): the activation check's reasons and a
condition's summary read "1 234,5 MW" on a Swedish page and "1,234.5 MW" on an English one,
while the REST API keeps the form it has always written ("1234.5"), in any language."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from common.numbers import numbers_for_reader, plain_number, quantity_text, reader_number
from prequal.models import Spu
from tests.limit_helpers import check_body, check_page_query, create
from tests.personas import login

pytestmark = pytest.mark.django_db

SV_LIMIT, EN_LIMIT, PLAIN_LIMIT = "1\u00a0234,5 MW", "1,234.5 MW", "1234.5 MW"


def test_a_quantity_is_plain_unless_written_for_a_reader():
    with translation.override("sv"):
        assert (plain_number(Decimal("1234.500")), plain_number(Decimal("1E+3"))) == ("1234.5", "1000")
        assert quantity_text(Decimal("1234.500")) == "1234.5"
        with numbers_for_reader():
            assert quantity_text(Decimal("1234.500")) == "1\u00a0234,5"
            assert reader_number(Decimal("0.500")) == "0,5"
        assert quantity_text(Decimal("1234.500")) == "1234.5"  # only within the block
    with translation.override("en"), numbers_for_reader():
        assert quantity_text(Decimal("1234.500")) == "1,234.5"


@pytest.fixture
def big_limit(grid):
    """grid.spu at 2,000 MW up, prequalified, under a 1,234.5 MW limit: a check of 1,500 MW is
    yellow, the limit named with its quantity."""
    Spu.objects.filter(pk=grid.spu.pk).update(max_up_kw=Decimal("2000000"))
    grid.spu.refresh_from_db()
    grid.prequalify(spu=grid.spu)
    return create(grid, quantity_mw=Decimal("1234.5"))


@pytest.mark.parametrize(
    ("language", "shown", "foreign"), [("sv", SV_LIMIT, EN_LIMIT), ("en", EN_LIMIT, SV_LIMIT)]
)
def test_the_check_page_writes_the_reasons_quantities_for_its_reader(
    grid, big_limit, client, language, shown, foreign
):
    login(client, grid.cast.local_engineer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    query = {**check_page_query(grid, so=grid.cast.local), "quantity_mw": "1500"}
    page = client.get(reverse("limits:activation-check"), query).content.decode()

    assert 'data-color="yellow"' in page
    assert shown in page and foreign not in page and PLAIN_LIMIT not in page


def test_the_api_keeps_the_plain_form_in_swedish(grid, big_limit, api_as):
    response = api_as(grid.cast.local_engineer).post(
        "/api/activation-check/",
        check_body(grid, system_operator=grid.cast.local.organisation.eic_code, quantity_mw="1500"),
        HTTP_ACCEPT_LANGUAGE="sv",
    )
    reasons = " ".join(response.json()["reasons"])
    assert response.status_code == 200, response.json()
    assert PLAIN_LIMIT in reasons and SV_LIMIT not in reasons
