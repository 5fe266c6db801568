"""Swedish mode on every page with no English left (issue 15), in real Chromium on the demo data.

Each demo role logs in, switches to Swedish with the site's language form, and visits every page of
its navigation (and the bell's list), the pages those link to outside their lists (forms, sub-pages)
and the detail pages of each list's first row. A page fails when one of its visible text nodes (or a
placeholder, title, aria-label or button value) equals, after whitespace normalisation,
- an English msgid of `locale/sv/LC_MESSAGES/django.po` whose Swedish is missing, fuzzy or differs
  (a text shown untranslated), or
- the stored value of a model field's choices whose label differs ("approved", "day_ahead": a data
  label shown raw),
or holds the English name of a product that has a Swedish one, or when a number on it is written
the English way ("1234.5", "1,234.5" in a cell marked `num`; tests/i18n/numbers.py) or a link or
data attribute holds a number written for a reader ("/limits/1 234/"). User data (codes, names, GSRNs,
numbers, dates) never equals a msgid, so it cannot make the test fail. Not read: `<code>`,
`<kbd>`, `<samp>` (identifiers, file columns), the language switcher (each language named in its
own) and stored messages marked `data-as-written` (a notification, in the language it was sent in).
The test is driven by the links it finds, so pages added later are covered too.
"""
from __future__ import annotations

import re
from functools import cache
from io import StringIO
from pathlib import Path
from pprint import pformat
from urllib.parse import urljoin, urlsplit

import polib
import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

from demo import sweden
from prequal.models import Product
from tests.i18n.numbers import localized_attributes, wrong_numbers
from tests.services import chromium
from tests.workflow_helpers import ensure_default_deadline_rule

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# One login per role the issue names: FSP, local DSO engineer, regional DSO, TSO, NRA.
ROLES = ("fsp-nordicflex", "engineer-malarenergi", "engineer-vattenfall", "engineer-svk", "analyst-ei")
# Links that download a file or leave the site's pages rather than show one.
SKIPPED = re.compile(r"(export|download|\.csv|\.xlsx|\.geojson|\.json|/api/|/admin/|logout|setlang)", re.I)
MAX_DETAIL_PAGES_PER_LIST = 3
MAX_LINKS_PER_PAGE = 8

# The page's visible texts: text nodes, plus the attributes a user reads.
TEXTS_JS = """() => {
  const out = [];
  const skipped = (el) => {
    for (let e = el; e; e = e.parentElement) {
      if (['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE'].includes(e.tagName)) return true;
      if (['CODE', 'KBD', 'SAMP'].includes(e.tagName)) return true;  // identifiers, file columns
      if (e.classList.contains('langswitch')) return true;  // each language named in its own
      // A stored message, written in the recipient's language when it was sent (a notification).
      if (e.hasAttribute('data-as-written')) return true;
    }
    return false;
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!skipped(n.parentElement) && n.textContent.trim()) out.push(n.textContent);
  }
  for (const el of document.querySelectorAll('[placeholder], [title], [aria-label], input[type=submit]')) {
    if (skipped(el)) continue;
    for (const a of ['placeholder', 'title', 'aria-label']) {
      if (el.getAttribute(a)) out.push(el.getAttribute(a));
    }
    if (el.tagName === 'INPUT' && el.type === 'submit' && el.value) out.push(el.value);
  }
  out.push(document.title.split('·')[0]);
  return out;
}"""


def _normal(text: str) -> str:
    return " ".join(text.split())


@cache
def untranslated_if_shown() -> frozenset[str]:
    """The English msgids whose Swedish differs or is missing (placeholders left out: never verbatim)."""
    catalogue = polib.pofile(str(Path(settings.BASE_DIR) / "locale" / "sv" / "LC_MESSAGES" / "django.po"))
    english = set()
    for entry in catalogue:
        if entry.obsolete or "%" in entry.msgid or "{" in entry.msgid:
            continue
        swedish = entry.msgstr_plural.get(0, "") if entry.msgid_plural else entry.msgstr
        if "fuzzy" in entry.flags:
            swedish = ""  # compilemessages leaves fuzzy guesses out: the English shows
        if _normal(entry.msgid) and _normal(swedish) != _normal(entry.msgid):
            english.add(_normal(entry.msgid))
    return frozenset(english)


@cache
def raw_choice_values() -> frozenset[str]:
    """The stored values of every model field's choices whose Swedish label differs ("approved",
    "up"): shown as they are, a data label was printed raw instead of its label."""
    values = set()
    with translation.override("sv"):
        for model in apps.get_models():
            for field in model._meta.get_fields():
                for value, label in getattr(field, "flatchoices", None) or ():
                    if isinstance(value, str) and value.strip() and _normal(str(label)) != _normal(value):
                        values.add(_normal(value))
    return frozenset(values)


def english_data_labels() -> re.Pattern | None:
    """The English names of the products that have a Swedish one, found inside a text ("FCR-D up
    (Svenska kraftnät)"), not inside another word ("FCR-D upp")."""
    names = sorted({_normal(p.name) for p in Product.objects.exclude(name_sv="") if p.name_sv != p.name})
    if not names:
        return None
    return re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, names)) + r")(?![\w-])")


def english_left(texts: list[str], data_labels: re.Pattern | None = None) -> list[str]:
    """The texts that are an English msgid (also with a trailing colon, as labels end) or a raw
    choice value, or that hold a data label's English name."""
    catalogue = untranslated_if_shown() | raw_choice_values()
    found = []
    for text in map(_normal, texts):
        if text in catalogue or (text.endswith(":") and text[:-1].strip() in catalogue):
            found.append(text)
        elif data_labels is not None and data_labels.search(text):
            found.append(text)
    return sorted(set(found))


def _same_site(base: str, href: str | None) -> str | None:
    if not href or href.startswith(("#", "mailto:", "javascript:")):
        return None
    url = urljoin(base + "/", href)
    if urlsplit(url).netloc != urlsplit(base).netloc or SKIPPED.search(url):
        return None
    return url.split("#")[0]


def _log_in_swedish(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/", wait_until="domcontentloaded")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", sweden.DEMO_PASSWORD)
    with page.expect_navigation(wait_until="domcontentloaded"):
        page.click("main button[type=submit], main input[type=submit]")
    with page.expect_navigation(wait_until="domcontentloaded"):
        page.select_option("#language", "sv")
    assert page.get_attribute("html", "lang") == "sv"


def _visit(page, url: str, data_labels: re.Pattern | None) -> list[str] | None:
    """The page's English texts, or None when the link is not an HTML page."""
    response = page.goto(url, wait_until="domcontentloaded")
    if response is None or "text/html" not in (response.headers.get("content-type") or ""):
        return None
    assert response.status == 200, (url, response.status)
    assert page.get_attribute("html", "lang") == "sv", url
    html = page.content()
    numbers = [f"number: {n}" for n in wrong_numbers(html, "sv")] + localized_attributes(html)
    return english_left(page.evaluate(TEXTS_JS), data_labels) + numbers


def _links(page, base: str, selector: str, limit: int) -> list[str]:
    hrefs = page.eval_on_selector_all(selector, "els => els.map(e => e.getAttribute('href'))")
    links = [url for url in (_same_site(base, href) for href in hrefs) if url]
    return list(dict.fromkeys(links))[:limit]


def _links_from(page, base: str) -> list[str]:
    """The detail pages of a list's first row, and the pages the page's own links open (forms such as
    "new limit" or "apply", sub-pages), outside the lists' rows."""
    rows = _links(page, base, "main table tbody tr:first-child a[href]", MAX_DETAIL_PAGES_PER_LIST)
    actions = _links(page, base, "main a[href]:not(table a)", MAX_LINKS_PER_PAGE)
    return rows + actions


def _pages_of_role(page, base: str, data_labels: re.Pattern | None = None) -> dict[str, list[str]]:
    """Every page of the role's navigation (and the bell's list), and the pages linked from them."""
    page.goto(f"{base}/", wait_until="domcontentloaded")
    to_visit = [f"{base}/"] + _links(page, base, "nav.mainnav a[href], #notice-bell[href]", 100)
    found: dict[str, list[str]] = {}
    seen: set[str] = set(to_visit)
    for url in to_visit:
        english = _visit(page, url, data_labels)
        if english is None:
            continue
        found[url] = english
        for linked in _links_from(page, base):
            if linked not in seen:
                seen.add(linked)
                english = _visit(page, linked, data_labels)
                if english is not None:
                    found[linked] = english
    return found


def test_the_catalogue_check_finds_english_and_lets_data_and_swedish_pass():
    catalogue = untranslated_if_shown()
    assert "Temporary limits" in catalogue and "Log out" in catalogue
    assert "approved" in raw_choice_values()  # Case.Status.APPROVED's value, labelled "Godkänd"
    shown = [" Temporary\n  limits ", "Logga ut", "SE-12345", "2026-03-01", "Log out:", "approved"]
    assert english_left(shown) == ["Log out:", "Temporary limits", "approved"]


def test_every_page_of_each_role_is_swedish(live_server):
    ensure_default_deadline_rule()  # a transactional test before this one may have flushed it
    call_command("demo_data", "--force", stdout=StringIO())  # pytest-django runs with DEBUG off
    base = live_server.url
    data_labels = english_data_labels()
    assert data_labels is not None and data_labels.search("FCR-D up (SvK)")
    assert not data_labels.search("FCR-D upp (SvK)")
    english: dict[str, dict[str, list[str]]] = {}
    with chromium() as browser:
        for username in ROLES:
            context = browser.new_context()  # one page per role, its own cookies
            page = context.new_page()
            _log_in_swedish(page, base, username)
            found = _pages_of_role(page, base, data_labels)
            context.close()
            assert len(found) >= 5, (username, list(found))  # the navigation and detail pages were seen
            left = {url.removeprefix(base): texts for url, texts in found.items() if texts}
            if left:
                english[username] = left
    assert english == {}, pformat(english, width=110)
