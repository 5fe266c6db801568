"""Numbers typed into forms (issue 15): the reader's decimal comma is accepted on a Swedish page,
a value shown back in a form stays plain so that it submits, and a number written the other
language's way is refused with an example, never guessed."""

from __future__ import annotations

from decimal import Decimal

import lxml.html
import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from common.number_fields import ReaderDecimalField
from limits.models import TemporaryLimit
from tests.limit_helpers import NOW, a_limit
from tests.limits.test_limits_views import form_data
from tests.personas import login

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("language", "typed", "read"), [
    ("sv", "1\u00a0234,5", Decimal("1234.5")),
    ("sv", "1 234,5", Decimal("1234.5")),
    ("sv", "0,5", Decimal("0.5")),
    ("sv", "1234.5", Decimal("1234.5")),
    ("en", "1,234.5", Decimal("1234.5")),
    ("en", "1234.5", Decimal("1234.5")),
    ("en", "12", Decimal("12")),
])
def test_a_decimal_is_read_in_the_pages_language(language, typed, read):
    with translation.override(language):
        assert ReaderDecimalField(max_digits=10, decimal_places=3).clean(typed) == read


@pytest.mark.parametrize(("language", "typed", "example"), [
    ("en", "0,5", "1,234.5"),  # a comma separates thousands on an English page
    ("en", "12,50", "1,234.5"),
    ("sv", "1.234,5", "1\u00a0234,5"),
    ("sv", "abc", "1\u00a0234,5"),
])
def test_a_decimal_in_another_form_is_refused_with_an_example(language, typed, example):
    with translation.override(language), pytest.raises(ValidationError) as refused:
        ReaderDecimalField(max_digits=10, decimal_places=3).clean(typed)
    (message,) = refused.value.messages
    assert message.endswith(f" {example}.")  # "Enter a number, such as …" in the page's language


def test_a_swedish_engineer_publishes_a_limit_typed_with_a_decimal_comma(grid, client):
    with time_machine.travel(NOW, tick=False):
        login(client, grid.cast.local_engineer)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
        response = client.post(reverse("limits:limit-create"), form_data(grid, quantity_mw="0,75"))
    assert response.status_code == 302, response.context["form"].errors
    assert TemporaryLimit.objects.get().quantity_mw == Decimal("0.75")


def test_an_english_page_refuses_a_decimal_comma_and_stores_nothing(grid, client):
    with time_machine.travel(NOW, tick=False):
        login(client, grid.cast.local_engineer)
        response = client.post(reverse("limits:limit-create"), form_data(grid, quantity_mw="0,75"))
    assert response.status_code == 200
    assert response.context["form"].errors["quantity_mw"] == ["Enter a number, such as 1,234.5."]
    assert TemporaryLimit.objects.count() == 0


@pytest.mark.parametrize("language", ["sv", "en"])
def test_a_form_shows_a_stored_quantity_plain_so_that_it_submits_again(grid, client, language):
    limit = a_limit(grid)
    TemporaryLimit.objects.filter(pk=limit.pk).update(quantity_mw=Decimal("1234.5"))
    with time_machine.travel(NOW, tick=False):
        login(client, grid.cast.local_engineer)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        page = client.get(reverse("limits:limit-edit", args=[limit.pk])).content.decode()
    (field,) = lxml.html.fromstring(page).xpath("//input[@name='quantity_mw']")
    assert field.get("type") == "number"
    assert Decimal(field.get("value")) == Decimal("1234.5")
