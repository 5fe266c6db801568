"""Swedish translation: pages render in Swedish, and the catalogue is complete and compiled."""

import io
import re
from pathlib import Path

import polib
import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from prequal.models import Product
from tests.factories import ConnectionPointFactory, SpgFactory, SpuFactory

LOCALE_DIR = Path(settings.BASE_DIR) / "locale" / "sv" / "LC_MESSAGES"
PO_FILE = LOCALE_DIR / "django.po"
MO_FILE = LOCALE_DIR / "django.mo"

HOW_TO_FIX = (
    "Run `make messages`, translate every empty or fuzzy entry in locale/sv/LC_MESSAGES/django.po "
    "(and remove its `#, fuzzy` flag), then run `make messages` again to compile the .mo and commit both."
)


@pytest.fixture
def catalogue():
    return polib.pofile(str(PO_FILE))


def _swedish(client):
    """Switch the client to Swedish the way the language selector in base.html does."""
    response = client.post(reverse("set_language"), {"language": "sv", "next": "/"})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "sv"


def test_the_language_selector_switches_the_login_page_to_swedish(client):
    english = client.get(reverse("login")).content.decode()
    assert "Password" in english
    assert "Lösenord" not in english

    _swedish(client)
    page = client.get(reverse("login"))

    html = page.content.decode()
    assert page["Content-Language"] == "sv"
    assert '<html lang="sv">' in html
    assert "Lösenord" in html
    assert "Användarnamn" in html
    assert "Logga in" in html
    assert "Password" not in html


def test_accept_language_alone_selects_swedish(client):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="sv-SE,sv;q=0.9,en;q=0.5")

    assert page["Content-Language"] == "sv"
    assert "Lösenord" in page.content.decode()


def test_a_logged_in_fsp_sees_the_spu_list_in_swedish(client, cast):
    SpuFactory(
        fsp=cast.fsp_a, code="BAT-0001", connection_point=ConnectionPointFactory(connecting_so=cast.local)
    )
    client.force_login(cast.fsp_a_user)
    _swedish(client)

    page = client.get(reverse("prequal:spu-list"))

    assert page.status_code == 200
    html = page.content.decode()
    assert "BAT-0001" in html
    assert "Tjänsteleverande enheter (SPU:er)" in html
    assert "Anslutningspunkt" in html
    assert "Logga ut" in html
    assert "Service providing units" not in html


def test_the_translations_are_used_for_choices_and_plurals():
    with translation.override("sv"):
        assert translation.gettext("Approved by silence") == "Godkänd genom tystnad"
        assert translation.gettext("Conditionally approved") == "Villkorat godkänd"
        assert translation.gettext("Observability area") == "Observerbarhetsområde"
        days_left = ("%(days)s day left", "%(days)s days left")
        assert translation.ngettext(*days_left, 1) % {"days": 1} == "1 dag kvar"
        assert translation.ngettext(*days_left, 3) % {"days": 3} == "3 dagar kvar"


def test_every_message_has_a_swedish_translation(catalogue):
    missing = [entry.msgid for entry in catalogue if not entry.obsolete and not entry.translated()]
    assert not missing, (
        f"{len(missing)} message(s) have no Swedish translation (empty or fuzzy):\n  "
        + "\n  ".join(missing)
        + "\n"
        + HOW_TO_FIX
    )


def test_every_translation_keeps_the_placeholders_of_its_message(catalogue):
    placeholder = re.compile(r"%\(\w+\)[-#0 +]?\d*(?:\.\d+)?[sdfir]|%[sd]|\{\w*\}")
    wrong = []
    for entry in catalogue.translated_entries():
        pairs = [(entry.msgid, entry.msgstr)]
        if entry.msgid_plural:
            sources = {0: entry.msgid, 1: entry.msgid_plural}
            pairs = [(sources[n], text) for n, text in entry.msgstr_plural.items()]
        for source, text in pairs:
            if sorted(placeholder.findall(source)) != sorted(placeholder.findall(text)):
                wrong.append(f"{source!r} -> {text!r}")
    assert not wrong, "Translations whose placeholders differ from the English:\n  " + "\n  ".join(wrong)


def test_the_compiled_catalogue_is_up_to_date(catalogue):
    assert MO_FILE.exists(), "locale/sv/LC_MESSAGES/django.mo is missing. " + HOW_TO_FIX
    compiled = {entry.msgid: entry.msgstr for entry in polib.mofile(str(MO_FILE)) if not entry.msgid_plural}
    stale = [
        entry.msgid
        for entry in catalogue.translated_entries()
        if not entry.msgid_plural and compiled.get(entry.msgid) != entry.msgstr
    ]
    assert not stale, (
        f"django.mo is older than django.po: {len(stale)} translation(s) differ, e.g. {stale[:5]}. "
        + HOW_TO_FIX
    )


def test_choices_built_at_import_follow_the_request_language(client, cast):
    client.force_login(cast.local_engineer)
    _swedish(client)

    html = client.get(reverse("limits:limit-list")).content.decode()

    assert "Aktiva och kommande" in html
    assert "Active and upcoming" not in html


def test_help_texts_with_a_time_zone_follow_the_request_language(client, cast):
    spg = SpgFactory(fsp=cast.fsp_a)
    SpuFactory(fsp=cast.fsp_a, connection_point=ConnectionPointFactory(connecting_so=cast.local))
    client.force_login(cast.fsp_a_user)
    _swedish(client)

    html = client.get(reverse("prequal:spg-detail", args=[spg.pk])).content.decode()

    assert f"Lokal tid ({settings.TIME_ZONE}). Tomt: från nu." in html
    assert "Empty: from now" not in html


# --- data labels (issue 15): choices of the models and the names of the seeded products -------


def _project_models():
    base = Path(settings.BASE_DIR).resolve()
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if path.is_relative_to(base) and ".venv" not in path.parts:
            yield from config.get_models()


def test_every_choice_label_of_the_models_has_a_swedish_translation(catalogue):
    translated = {entry.msgid for entry in catalogue.translated_entries()}
    missing = set()
    with translation.override("en"):
        for model in _project_models():
            for field in model._meta.get_fields():
                for _value, label in getattr(field, "flatchoices", None) or ():
                    if str(label) not in translated:
                        missing.add(f"{model._meta.label}.{field.name}: {label!s}")
    assert not missing, "Choice labels without a Swedish translation:\n  " + "\n  ".join(sorted(missing))


def test_every_product_of_the_demo_data_has_a_swedish_name(db):
    call_command("demo_data", "--force", stdout=io.StringIO())

    assert Product.objects.exists()
    assert list(Product.objects.filter(name_sv="").values_list("code", flat=True)) == []
    product = Product.objects.get(code="mfrr-energy")
    with translation.override("sv"):
        assert (product.label, str(product)) == ("mFRR-energi", "mFRR-energi")
    with translation.override("en"):
        assert (product.label, str(product)) == ("mFRR energy", "mFRR energy")


def test_a_product_shows_its_swedish_name_on_swedish_pages_and_the_api_keeps_both(client, wf, api_as):
    case = wf.submitted()
    Product.objects.filter(pk=case.product_id).update(name="Local flexibility", name_sv="Lokal flexibilitet")
    client.force_login(wf.cast.fsp_a_user)
    _swedish(client)

    html = client.get(reverse("prequal:case-list")).content.decode()

    assert "Lokal flexibilitet" in html and "Local flexibility" not in html
    listed = api_as(wf.cast.fsp_a_user).get(reverse("api:product-list"), HTTP_ACCEPT_LANGUAGE="sv").json()
    named = [p for p in listed.get("results", listed) if p["id"] == case.product_id]
    assert [(p["name"], p["name_sv"]) for p in named] == [("Local flexibility", "Lokal flexibilitet")]
