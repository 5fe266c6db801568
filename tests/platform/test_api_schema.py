"""The OpenAPI schema and the interactive docs.

Both are public, as with most products that sell an API (Stripe, GitHub, ENTSO-E's
transparency platform): an FSP's developers can build a client before they have an account,
and the schema describes shapes only, never data. Every endpoint it lists still needs a token
or a session (tests/access/test_registry_api.py checks the 401s).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from io import StringIO

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.urls import reverse
from openapi_spec_validator import validate
from rest_framework.test import APIClient


@pytest.fixture
def schema(db) -> dict:
    response = APIClient().get(reverse("api:schema"), {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate(schema)  # raises OpenAPIValidationError when invalid


def test_schema_lists_the_registry_endpoints(schema):
    paths = schema["paths"]
    expected = {
        "/api/operators/": {"get"},
        "/api/operators/{id}/": {"get"},
        "/api/connection-points/": {"get"},
        "/api/connection-points/{id}/": {"get"},
        "/api/spus/": {"get", "post"},
        "/api/spus/{id}/": {"get", "patch"},
        "/api/spus/{id}/deactivate/": {"post"},
        "/api/spgs/": {"get", "post"},
        "/api/spgs/{id}/": {"get", "patch"},
        "/api/spgs/{id}/deactivate/": {"post"},
        "/api/spgs/{id}/members/": {"get", "post"},
        "/api/spgs/{id}/members/{membership_id}/end/": {"post"},
        "/api/products/": {"get"},
        "/api/products/{id}/": {"get"},
        "/api/auth/token/": {"post"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))


def test_schema_documents_auth_errors_and_filters(schema):
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])
    spu_list = schema["paths"]["/api/spus/"]["get"]
    assert {"tokenAuth": []} in spu_list["security"]
    params = {p["name"] for p in spu_list["parameters"]}
    assert {"page", "page_size", "is_active", "technology", "code", "connection_point_gsrn"} <= params
    patch = schema["paths"]["/api/spus/{id}/"]["patch"]
    assert {"200", "400", "401", "403", "404"} <= set(patch["responses"])
    error_ref = patch["responses"]["400"]["content"]["application/json"]["schema"]["$ref"]
    assert error_ref == "#/components/schemas/Error"
    # The token endpoint is the one way in: no authentication asked of it.
    assert "401" not in schema["paths"]["/api/auth/token/"]["post"]["responses"]


def test_spu_create_input_is_described(schema):
    components = schema["components"]["schemas"]
    create = components["SpuCreateInputRequest"]
    assert set(create["required"]) == {
        "code", "name", "technology", "max_up_kw", "max_down_kw", "connection_point_gsrn"
    }
    assert create["properties"]["max_up_kw"]["minimum"] == 0
    assert create["properties"]["crs"]["default"] == "4326"


def test_spectacular_command_has_no_warnings(tmp_path):
    # Warnings mean a part of the schema is guessed: fail the build rather than ship it.
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out), stderr=StringIO())
    assert out.read_text().startswith("openapi: 3")


class _AssetCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append(value)


def _assets(html: str) -> list[str]:
    collector = _AssetCollector()
    collector.feed(html)
    return collector.urls


@pytest.mark.parametrize("name", ["api:docs", "api:redoc"])
def test_docs_use_only_local_static_assets(db, name):
    response = APIClient().get(reverse(name))

    assert response.status_code == 200
    html = response.content.decode()
    urls = _assets(html)
    assert any(u.endswith(".js") for u in urls), urls
    for url in urls:
        assert not re.match(r"^(https?:)?//", url), url
        assert url.startswith("/static/"), url
        # The file is really there (vendored by drf-spectacular-sidecar), not a dead link.
        assert finders.find(url.removeprefix("/static/")), url
    # Nor any absolute URL pulled in by script (a CDN fallback, a font).
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "cdn." not in html.lower()


def test_docs_point_at_the_local_schema(db):
    html = APIClient().get(reverse("api:docs")).content.decode()

    assert reverse("api:schema") in html


def test_swagger_ui_does_not_call_the_online_validator(db):
    # Swagger UI's default validatorUrl is validator.swagger.io: it would fetch a badge from
    # there and hand it our schema URL.
    html = APIClient().get(reverse("api:docs")).content.decode()

    assert '"validatorUrl": null' in html
