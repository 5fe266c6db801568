"""Numbers on every page in the reader's form, one form per page (issue 15).

Each demo role reads, in Swedish and in English, the pages of its navigation, the pages those
link to and the first rows' detail pages (the pages tests/browser/test_swedish_everywhere.py
visits, found the same way, here with Django's test client). The demo data is loaded with every
primary key above 1000 and quantities of a thousand and more with decimals, so a number written
raw ("1234.5", "12.50") or an identifier written for a reader ("/limits/1 234/") shows up.
A page fails when
- a number in an element marked `num` is not in the language's form ("1 234,5" / "1,234.5"),
- any visible number is in the other language's form (a decimal point on a Swedish page), or
- a link, form value, id, data-* attribute or SVG coordinate holds a localized number.
"""

from __future__ import annotations

from decimal import Decimal
from io import StringIO
from pprint import pformat
from urllib.parse import urljoin, urlsplit

import lxml.html
import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.models import F

from accounts.models import User
from limits.models import TemporaryLimit
from prequal.models import Spu
from tests.browser.test_swedish_everywhere import (
    MAX_DETAIL_PAGES_PER_LIST,
    MAX_LINKS_PER_PAGE,
    ROLES,
    SKIPPED,
)
from tests.i18n.numbers import localized_attributes, wrong_numbers
from tests.workflow_helpers import ensure_default_deadline_rule

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

FIRST_ID = 1000


def _ids_from(first: int) -> None:
    """Every table's next primary key at `first` or above (both databases)."""
    with connection.cursor() as cursor:
        for model in apps.get_models():
            pk = model._meta.pk
            if not model._meta.managed or pk.get_internal_type() not in {"AutoField", "BigAutoField"}:
                continue
            table = model._meta.db_table
            if connection.vendor == "postgresql":
                cursor.execute("SELECT setval(pg_get_serial_sequence(%s, %s), %s)", [table, pk.column, first])
            else:
                cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
                cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, first])


@pytest.fixture
def demo_with_big_numbers(media):
    ensure_default_deadline_rule()
    _ids_from(FIRST_ID)
    call_command("demo_data", "--force", stdout=StringIO())
    # Quantities with thousands and decimals: kW of units, MW of limits.
    Spu.objects.update(
        max_up_kw=F("max_up_kw") + Decimal("1234.5"), max_down_kw=F("max_down_kw") + Decimal("1000.25")
    )
    TemporaryLimit.objects.filter(quantity_mw__gt=0).update(quantity_mw=F("quantity_mw") + Decimal("1234.5"))


def _same_site(base: str, href: str | None) -> str | None:
    if not href or href.startswith(("#", "mailto:", "javascript:")):
        return None
    url = urljoin(base, href)
    if urlsplit(url).netloc or SKIPPED.search(url):
        return None
    return url.split("#")[0]


def _links(html: str, base: str, xpath: str, limit: int) -> list[str]:
    hrefs = lxml.html.fromstring(html).xpath(xpath)
    links = [url for url in (_same_site(base, href) for href in hrefs) if url]
    return list(dict.fromkeys(links))[:limit]


def _links_from(html: str, url: str) -> list[str]:
    rows = _links(html, url, "//main//table/tbody/tr[1]//a/@href", MAX_DETAIL_PAGES_PER_LIST)
    actions = _links(html, url, "//main//a[not(ancestor::table)]/@href", MAX_LINKS_PER_PAGE)
    return rows + actions


def _get(client, url: str) -> str | None:
    response = client.get(url)
    if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
        return None
    return response.content.decode()


def _pages(client) -> dict[str, str]:
    """Every page of the role's navigation and the bell's list, and the pages linked from them."""
    home = _get(client, "/")
    navigation = "//nav[contains(@class,'mainnav')]//a/@href | //a[@id='notice-bell']/@href"
    to_visit = ["/"] + _links(home, "/", navigation, 100)
    pages: dict[str, str] = {}
    seen = set(to_visit)
    for url in to_visit:
        html = _get(client, url)
        if html is None:
            continue
        pages[url] = html
        for linked in _links_from(html, url):
            if linked not in seen:
                seen.add(linked)
                linked_html = _get(client, linked)
                if linked_html is not None:
                    pages[linked] = linked_html
    return pages


@pytest.mark.parametrize("language", ["sv", "en"])
def test_every_page_writes_its_numbers_in_the_readers_form(client, demo_with_big_numbers, language):
    wrong: dict[str, dict[str, list[str]]] = {}
    for username in ROLES:
        client.force_login(User.objects.get(username=username))
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        pages = _pages(client)
        assert len(pages) >= 5, (username, list(pages))
        for url, html in pages.items():
            found = wrong_numbers(html, language) + localized_attributes(html)
            if found:
                wrong.setdefault(username, {})[url] = found
    assert wrong == {}, pformat(wrong, width=110)
