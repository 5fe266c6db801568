"""The FSP dashboard's resource × product matrix at 1366 px (issue 15): with the demo's eight
products, named in the reader's language with their codes under them, the table fits its box
(no sideways scroll) in English and Swedish, with a long state in every cell, and the page does
not scroll sideways."""

from __future__ import annotations

import pytest

from demo import sweden
from prequal.models import Case, Product
from prequal.services.cases import case_create_draft
from tests.dashboards.helpers import local_cases
from tests.factories import ProductFactory
from tests.services import chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["en", "sv"])
def test_the_matrix_with_the_demos_products_fits_at_1366_px(live_server, wf, language):
    for spec in sweden.PRODUCTS:  # the workflow's own product may be one of them: named as the demo's
        names = {"name": spec.name, "name_sv": sweden.PRODUCT_NAMES_SV.get(spec.code, spec.name)}
        if not Product.objects.filter(code=spec.code).update(**names):
            ProductFactory(code=spec.code, procuring_so=wf.cast.tso, **names)
    # The widest cells the demo has: a state with a long name ("Conditionally approved",
    # "Villkorat godkänd") in every product's column of the same rows.
    for case in local_cases(wf, 3):
        for product in Product.objects.filter(is_active=True).exclude(pk=case.product_id):
            draft = case_create_draft(user=wf.cast.fsp_a_user, spu=case.spu, product=product)
            Case.objects.filter(pk=draft.pk).update(status=Case.Status.CONDITIONALLY_APPROVED)
        Case.objects.filter(pk=case.pk).update(status=Case.Status.CONDITIONALLY_APPROVED)
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1366, "height": 768})
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", "fsp_a_user")
        page.fill("input[name=password]", "pw-for-tests-1")
        with page.expect_navigation():
            page.click("main button[type=submit], main input[type=submit]")
        if language != "en":
            with page.expect_navigation():
                page.select_option("#language", language)
        page.goto(f"{live_server.url}/")
        heads = page.locator("[data-testid=prequal-matrix] th.matrix-product")
        assert heads.count() == Product.objects.filter(is_active=True).count() >= len(sweden.PRODUCTS)
        shown = {h.get_attribute("data-product"): h.inner_text() for h in heads.all()}
        for spec in sweden.PRODUCTS:
            name = sweden.PRODUCT_NAMES_SV.get(spec.code, spec.name) if language == "sv" else spec.name
            assert shown[spec.code].split("\n")[0].strip() == name, (spec.code, shown[spec.code])
        wrap = page.locator(".matrix-wrap")
        assert wrap.evaluate("e => e.scrollWidth <= e.clientWidth"), wrap.evaluate(
            "e => [e.scrollWidth, e.clientWidth]")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
        context.close()
