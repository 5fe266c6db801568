"""NUL characters (0x00) in API input: a 400 naming the field, never a 500 (PostgreSQL text cannot
hold NUL; the API fuzz found one). The parser is common/parsers.py (every JSON body, keys and
values at any depth); the activation check's lean path calls the same check.

The sweep runs on PostgreSQL, where a NUL that reached a query would fail: every POST, PUT and
PATCH operation of the OpenAPI schema, with a body in each JSON and form media type it documents
(every string property NUL'd, at any depth), and a JSON body with a NUL in a key, as the user
each operation is for.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from rest_framework.authtoken.models import Token

from common.parsers import nul_errors, refuse_nul
from tests.grid import make_world
from tests.register.helpers import platform

NUL_MESSAGE = "Text may not contain NUL characters."
BAD = "x\x00y"


def _operations() -> list[tuple[str, str, dict]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (method, path, op | {"components": schema["components"]})
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
        if method in ("post", "put", "patch")
    ]


def _resolve(node: dict, components: dict) -> dict:
    while "$ref" in node:
        node = components["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _sample(node: dict, components: dict, depth: int = 0):
    """A value of the schema's shape with NUL in every string (a number or true elsewhere)."""
    node = _resolve(node, components)
    for combined in ("allOf", "oneOf", "anyOf"):
        if combined in node:
            return _sample(node[combined][0], components, depth)
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        if depth > 3:
            return {}
        return {name: _sample(sub, components, depth + 1) for name, sub in node.get("properties", {}).items()}
    if kind == "array":
        return [_sample(node.get("items", {}), components, depth + 1)]
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    return BAD  # strings, enums, dates, and anything untyped


def _paths_filled(path: str, ids: dict) -> str:
    for name, value in ids.items():
        path = path.replace("{" + name + "}", str(value))
    return path


@pytest.fixture
def live(cast, settings):
    """One of every object (tests/grid.make_world) and a market platform for the local DSO."""
    settings.DEBUG = False  # as in production: a server error would be a JSON 500, not a debug page
    world = make_world(cast)
    world["platform"] = platform("NUL platform", cast.local)
    return world


def _user_for(path: str, cast, world):
    if path.startswith("/api/register/"):
        return world["platform"]
    if path.startswith(("/api/cases", "/api/spus", "/api/spgs", "/api/notifications", "/api/assessing")):
        return cast.fsp_a_user
    return cast.local_engineer


def _ids(path: str, world) -> dict:
    if path.startswith("/api/spgs/"):
        return {"id": world["spg"].pk, "membership_id": world["membership"].pk}
    objects = {"/api/cases/": world["draft"], "/api/spus/": world["spu"], "/api/limits/": world["limit"],
               "/api/assessments/": world["assessment"], "/api/notifications/": world["notice"]}
    for prefix, obj in objects.items():
        if path.startswith(prefix):
            return {"id": obj.pk}
    return {"id": 1}


OPERATIONS = _operations()


# Operations whose object the world has none of: answered 404 before the body is read.
NOT_FOUND = {"/api/areas/uploads/{id}/confirm/"}


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "operation"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS]
)
def test_no_operation_answers_500_to_nul_input(live, cast, api_as, method, path, operation):
    client = api_as(_user_for(path, cast, live))
    url = _paths_filled(path, _ids(path, live))
    send = getattr(client, method)
    for media_type, spec in operation.get("requestBody", {}).get("content", {}).items():
        body = _sample(spec.get("schema", {}), operation["components"])
        if not isinstance(body, dict) or not body:
            continue
        if media_type == "application/json":
            answers = [send(url, json.dumps(body), content_type=media_type),
                       send(url, json.dumps({**body, "k\x00": "v"}), content_type=media_type)]
        elif media_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            flat = {k: v for k, v in body.items() if isinstance(v, str | int | float | bool)}
            answers = [send(url, flat, format="multipart")] if flat else []
        else:
            continue
        for answer in answers:
            expected = 404 if path in NOT_FOUND else 400
            assert answer.status_code == expected, (media_type, answer.content[:300])
            if expected == 400:
                assert NUL_MESSAGE in json.dumps(answer.json()["errors"]), (media_type, answer.json())


@pytest.mark.django_db
def test_json_bodies_with_nul_are_refused_by_path_before_the_view(cast, api_as):
    client = api_as(platform("Envelope platform", cast.local))
    body = {"system_operator": cast.local.eic_code, "records": [{"external_id": "a"}] * 3 + [
        {"external_id": "ok", "product": "mfrr\x00"}]}
    answer = client.post("/api/register/records/", json.dumps(body), content_type="application/json")

    assert answer.status_code == 400
    assert answer.json()["errors"] == {"records": {"3": {"product": [NUL_MESSAGE]}}}


def test_every_string_with_nul_is_named_by_its_path():
    data = {"a": "fine", "b\x00": 1, "c": [{"d": "x\x00"}, "ok", ["\x00"]], "e": {"f": {"g": "\x00"}}}
    assert nul_errors(data) == {
        "b\x00": [NUL_MESSAGE],
        "c": {"0": {"d": [NUL_MESSAGE]}, "2": {"0": [NUL_MESSAGE]}},
        "e": {"f": {"g": [NUL_MESSAGE]}},
    }
    assert nul_errors({"a": "x", "n": 1, "l": [1, None, True]}) == {}
    assert nul_errors([{"a": "\x00"}]) == {"0": {"a": [NUL_MESSAGE]}}


def test_a_deeply_nested_nul_is_named_down_to_a_depth_that_renders():
    deep = "x\x00"
    for _level in range(5000):
        deep = [deep]
    errors = nul_errors({"a": deep})
    depth = 0
    while isinstance(errors, dict):
        errors, depth = next(iter(errors.values())), depth + 1
    assert errors == [NUL_MESSAGE] and depth == 32


def test_a_body_without_an_escaped_nul_is_not_walked():
    data = {"a": "x\x00"}  # not what this body parses to: shows the walk is skipped
    assert refuse_nul(data, body=b'{"a": "x"}') is data
    with pytest.raises(Exception, match="NUL"):
        refuse_nul(data, body=b'{"a": "x\\u0000"}')


@pytest.mark.django_db
def test_the_lean_activation_check_refuses_nul_per_field(cast, api_as):
    user = platform("Lean platform", cast.local)
    token, _ = Token.objects.get_or_create(user=user)
    answer = Client().post(
        "/api/activation-check/",
        json.dumps({"system_operator": cast.local.eic_code, "product": "mfrr\x00", "spu": 1}),
        content_type="application/json", HTTP_AUTHORIZATION=f"Token {token.key}",
    )
    assert answer.status_code == 400
    assert answer.json()["errors"] == {"product": [NUL_MESSAGE]}
