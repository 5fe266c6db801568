"""The permission matrix (SPEC §4): every page and API endpoint against every role.

Each URL pattern of the project has an entry in MATRIX: the method(s) to send, the object its
URL points at, and the answer each role must get. The roles are the outsiders of SPEC §4, each
looking at objects that belong to someone else:

- anonymous: pages redirect to the login page, the API answers 401;
- fsp_other: a user of FSP B looking at FSP A's resources, cases and SPGs (404 on objects);
- so_viewer: the local DSO's read-only member, on the local DSO's own cases and limits (reads
  200, writes 403);
- so_other: the engineer of the other local DSO, which does not assess the case (404, cannot
  decide);
- nra: the regulator's analyst (reads 200, writes 403).

`test_every_url_pattern_has_an_entry` fails when a URL pattern is added without an entry here,
so a new endpoint cannot ship without its row in the matrix. One database set-up per role.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.authtoken.models import Token

from attachments.services import attachment_create
from observability.models import AreaUpload
from prequal.services.cases import case_create_draft, case_submit
from register.models import RecordRevision, RegisterRecord
from tests.factories import ConnectionPointFactory, SpuFactory
from tests.grid import SETUP_TIME, make_world
from tests.lists.helpers import LIST_PAGES, export_rows

ROLES = ("anonymous", "fsp_other", "so_viewer", "so_other", "nra")
ROLE_USERS = {
    "fsp_other": "fsp_b_user",
    "so_viewer": "local_viewer",
    "so_other": "other_local_engineer",
    "nra": "nra_analyst",
}

# Patterns not in the matrix, and why (each is tested elsewhere).
SKIPPED = {
    "admin": (
        "Django admin: staff only, its own login "
        "(tests/prequal/test_workflow_admin.py, tests/platform/test_hardening.py)"
    ),
    "set_language": "language switch: public by design, changes only the caller's cookie and language",
    "login": "the login page itself: public (throttling in tests/platform/test_hardening.py)",
    "logout": "logging out: harmless for everyone",
    "favicon": "the site icon: public",
    "healthz": "load-balancer probe: public by design (tests/common/test_healthz.py)",
    "api:schema": "OpenAPI schema: public documentation (tests/platform/test_api_schema.py)",
    "api:docs": "Swagger UI: public documentation",
    "api:redoc": "Redoc: public documentation",
}

OK, REDIRECT, BAD, UNAUTH, DENIED, HIDDEN, NOT_ALLOWED = 200, 302, 400, 401, 403, 404, 405


@dataclass
class Entry:
    name: str
    method: str = "get"
    obj: str | None = None  # key of the object in `world` whose pk fills the URL
    expect: dict[str, int] = field(default_factory=dict)
    data: dict | None = None
    kwargs: dict | None = None

    @property
    def api(self) -> bool:
        return self.name.startswith("api:")

    def expected(self, role: str) -> int:
        if role in self.expect:
            return self.expect[role]
        if role == "anonymous":
            return UNAUTH if self.api else REDIRECT
        raise KeyError(f"{self.name} {self.method}: no expectation for {role}")


def e(name, method="get", obj=None, data=None, kwargs=None, **expect) -> Entry:
    return Entry(name=name, method=method, obj=obj, expect=expect, data=data, kwargs=kwargs)


def reads(fsp_other=OK, so_viewer=OK, so_other=OK, nra=OK, **more) -> dict:
    return dict(fsp_other=fsp_other, so_viewer=so_viewer, so_other=so_other, nra=nra, **more)


MATRIX: list[Entry] = []


def url_for(entry: Entry, world: dict) -> str:
    kwargs = dict(entry.kwargs or {})
    if entry.obj == "membership":
        kwargs.update(pk=world["spg"].pk)
        kwargs["membership_id" if entry.api else "membership_pk"] = world["membership"].pk
    elif entry.obj:
        kwargs["pk"] = world[entry.obj].pk
    return reverse(entry.name, kwargs=kwargs)


def client_for(role: str, cast) -> Client:
    client = Client(raise_request_exception=False)
    if role != "anonymous":
        user = getattr(cast, ROLE_USERS[role])
        token, _ = Token.objects.get_or_create(user=user)
        client.defaults["HTTP_AUTHORIZATION"] = f"Token {token.key}"
        client.force_login(user)
    return client


def call(client: Client, entry: Entry, world: dict):
    url = url_for(entry, world)
    if entry.method == "get":
        return client.get(url)
    if entry.name == "api:area-list":  # a real upload for the local DSO: multipart, like its clients
        import shapely
        from django.core.files.uploadedfile import SimpleUploadedFile
        from shapely.geometry import box

        geojson = shapely.to_geojson(box(17.6, 59.1, 18.4, 59.5)).encode()
        return client.post(url, {
            "system_operator": world["operator"].pk,
            "file": SimpleUploadedFile("area.geojson", geojson, "application/geo+json"),
        })
    data = entry.data(world) if callable(entry.data) else entry.data
    if entry.api:
        return getattr(client, entry.method)(url, data or {}, content_type="application/json")
    return client.post(url, data or {})




# (name, method, object, URL kwargs): anonymous, fsp_other, so_viewer, so_other, nra.
# BAD (400) means the role got past the permission check and the empty body was refused:
# the role may do this with its own objects (an FSP creates SPUs, an engineer its SO's limits).
ROWS = [
    ("home", "get", None, None, (REDIRECT, OK, OK, OK, OK)),
    ("api:operator-list", "get", None, None, (UNAUTH, OK, OK, OK, OK)),
    ("api:operator-detail", "get", "operator", None, (UNAUTH, OK, OK, OK, OK)),
    ("api:connection-point-list", "get", None, None, (UNAUTH, OK, OK, OK, OK)),
    ("api:connection-point-detail", "get", "cp", None, (UNAUTH, HIDDEN, OK, HIDDEN, OK)),
    # The map's points: without a bbox every signed-in role gets past the check to a 400.
    ("api:connection-point-map", "get", None, None, (UNAUTH, BAD, BAD, BAD, BAD)),
    ("api:area-list", "get", None, None, (UNAUTH, OK, OK, OK, OK)),
    ("api:area-list", "post", None, None, (UNAUTH, DENIED, DENIED, DENIED, DENIED)),
    ("api:area-detail", "get", "area", None, (UNAUTH, OK, OK, OK, OK)),
    ("api:area-geojson", "get", "area", None, (UNAUTH, OK, OK, OK, OK)),
    # An upload awaiting confirmation is its uploader's (the local engineer's) alone.
    ("api:area-upload-detail", "get", "area_upload", None, (UNAUTH, HIDDEN, HIDDEN, HIDDEN, HIDDEN)),
    ("api:area-upload-confirm", "post", "area_upload", None, (UNAUTH, HIDDEN, HIDDEN, HIDDEN, HIDDEN)),
    ("api:assessing-sos", "post", None, None, (UNAUTH, BAD, BAD, BAD, BAD)),
    ("api:connection-point-assessing-sos", "get", "cp", None, (UNAUTH, HIDDEN, OK, HIDDEN, OK)),
    ("api:auth-token", "post", None, None, (BAD, BAD, BAD, BAD, BAD)),
    ("api:spu-list", "get", None, None, (UNAUTH, OK, OK, OK, OK)),
    ("api:spu-list", "post", None, None, (UNAUTH, BAD, DENIED, DENIED, DENIED)),
    ("api:spu-detail", "get", "spu", None, (UNAUTH, HIDDEN, OK, HIDDEN, OK)),
    ("api:spu-detail", "patch", "spu", None, (UNAUTH, HIDDEN, DENIED, HIDDEN, DENIED)),
    ("api:spu-deactivate", "post", "spu", None, (UNAUTH, HIDDEN, DENIED, HIDDEN, DENIED)),
    ("api:spg-list", "get", None, None, (UNAUTH, OK, OK, OK, OK)),
    ("api:spg-list", "post", None, None, (UNAUTH, BAD, DENIED, DENIED, DENIED)),
    ("api:spg-detail", "get", "spg", None, (UNAUTH, HIDDEN, OK, HIDDEN, OK)),
    ("api:spg-detail", "patch", "spg", None, (UNAUTH, HIDDEN, DENIED, HIDDEN, DENIED)),
    ("api:spg-deactivate", "post", "spg", None, (UNAUTH, HIDDEN, DENIED, HIDDEN, DENIED)),
    ("api:spg-members", "get", "spg", None, (UNAUTH, HIDDEN, OK, HIDDEN, OK)),
    ("api:spg-members", "post", "spg", None, (UNAUTH, HIDDEN, DENIED, HIDDEN, DENIED)),
    ("api:spg-member-end", "post", "membership", None, (UNAUTH, HIDDEN, DENIED, HIDDEN, DENIED)),
    ("api:product-list", "get", None, None, (UNAUTH, OK, OK, OK, OK)),
    ("api:product-detail", "get", "product", None, (UNAUTH, OK, OK, OK, OK)),
    ("api:case-list", "get", None, None, (UNAUTH, OK, OK, OK, OK)),
    ("api:case-list", "post", None, None, (UNAUTH, BAD, DENIED, DENIED, DENIED)),
    ("api:case-detail", "get", "case", None, (UNAUTH, HIDDEN, OK, HIDDEN, OK)),
    ("api:case-detail", "patch", "draft", None, (UNAUTH, HIDDEN, HIDDEN, HIDDEN, HIDDEN)),
    ("api:case-detail", "delete", "draft", None, (UNAUTH, HIDDEN, HIDDEN, HIDDEN, HIDDEN)),
    ("api:case-assessing-sos", "get", "draft", None, (UNAUTH, HIDDEN, HIDDEN, HIDDEN, HIDDEN)),
    ("api:case-submit", "post", "draft", None, (UNAUTH, HIDDEN, HIDDEN, HIDDEN, HIDDEN)),
    ("api:case-withdraw", "post", "case", None, (UNAUTH, HIDDEN, DENIED, HIDDEN, DENIED)),
    ("api:case-supply-information", "post", "case", None, (UNAUTH, HIDDEN, DENIED, HIDDEN, DENIED)),
    ("api:assessment-queue", "get", None, None, (UNAUTH, OK, OK, OK, OK)),
    ("api:assessment-detail", "get", "assessment", None, (UNAUTH, HIDDEN, OK, HIDDEN, OK)),
    ("api:assessment-decide", "post", "assessment", None, (UNAUTH, HIDDEN, DENIED, HIDDEN, DENIED)),
    ("api:assessment-declare-incomplete", "post", "assessment", None,
     (UNAUTH, HIDDEN, DENIED, HIDDEN, DENIED)),
    ("api:limit-list", "get", None, None, (UNAUTH, OK, OK, OK, OK)),
    ("api:limit-list", "post", None, None, (UNAUTH, DENIED, DENIED, BAD, DENIED)),
    ("api:limit-detail", "get", "limit", None, (UNAUTH, HIDDEN, OK, HIDDEN, OK)),
    ("api:limit-detail", "patch", "limit", None, (UNAUTH, HIDDEN, DENIED, HIDDEN, DENIED)),
    ("api:limit-lift", "post", "limit", None, (UNAUTH, HIDDEN, DENIED, HIDDEN, DENIED)),
    ("api:activation-check", "get", None, None, (UNAUTH, BAD, BAD, BAD, BAD)),
    ("api:activation-check", "post", None, None, (UNAUTH, BAD, BAD, BAD, BAD)),
    # Congestion forecasts (issue 16). Writers are SO engineers: the other DSO's engineer gets past
    # the check to a 400 (empty body); the world's zone is the local DSO's whole area, in which
    # FSP B has no unit and which the other DSO's area does not overlap.
    ("api:forecast-zone-list", "get", None, None, (UNAUTH, OK, OK, OK, OK)),
    ("api:forecast-zone-list", "post", None, None, (UNAUTH, DENIED, DENIED, BAD, DENIED)),
    ("api:forecast-publication-list", "get", None, None, (UNAUTH, OK, OK, OK, OK)),
    ("api:forecast-publication-list", "post", None, None, (UNAUTH, DENIED, DENIED, BAD, DENIED)),
    ("api:forecast-zone", "get", "zone", None, (UNAUTH, HIDDEN, OK, HIDDEN, OK)),
    ("api:forecast-spu", "get", "spu", None, (UNAUTH, HIDDEN, OK, HIDDEN, OK)),
    ("api:forecast-spg", "get", "spg", None, (UNAUTH, HIDDEN, OK, HIDDEN, OK)),
    ("api:forecast-point", "get", "cp", None, (UNAUTH, HIDDEN, OK, HIDDEN, OK)),
    ("observability:operator-list", "get", None, None, (REDIRECT, OK, OK, OK, OK)),
    ("forecasts:so-page", "get", None, None, (REDIRECT, DENIED, OK, OK, DENIED)),
    ("forecasts:zone-upload", "post", None, None, (REDIRECT, DENIED, DENIED, BAD, DENIED)),
    ("forecasts:publish", "post", None, None, (REDIRECT, DENIED, DENIED, BAD, DENIED)),
    ("forecasts:spu-forecast", "get", "spu", None, (REDIRECT, HIDDEN, OK, HIDDEN, OK)),
    ("forecasts:spu-forecast-map", "get", "spu", None, (REDIRECT, HIDDEN, OK, HIDDEN, OK)),
    ("forecasts:spg-forecast", "get", "spg", None, (REDIRECT, HIDDEN, OK, HIDDEN, OK)),
    ("forecasts:spg-forecast-map", "get", "spg", None, (REDIRECT, HIDDEN, OK, HIDDEN, OK)),
    # The FSP's own overview: FSP B sees its own (empty) one; SOs and the NRA read a resource's page.
    ("forecasts:resources", "get", None, None, (REDIRECT, OK, DENIED, DENIED, DENIED)),
    ("observability:operator-detail", "get", "operator", None, (REDIRECT, OK, OK, OK, OK)),
    ("observability:connection-point-list", "get", None, None, (REDIRECT, OK, OK, OK, OK)),
    ("prequal:connection-point-detail", "get", "cp", None, (REDIRECT, HIDDEN, OK, HIDDEN, OK)),
    ("observability:map", "get", None, None, (REDIRECT, OK, OK, OK, OK)),
    ("observability:map-data", "get", None, None, (REDIRECT, OK, OK, OK, OK)),
    ("observability:area-list", "get", None, None, (REDIRECT, OK, OK, OK, OK)),
    ("observability:area-upload", "get", None, None, (REDIRECT, DENIED, DENIED, OK, DENIED)),
    ("observability:area-upload", "post", None, None, (REDIRECT, DENIED, DENIED, OK, DENIED)),
    ("observability:area-upload-confirm", "post", None, None, (REDIRECT,) * 5),
    # ^ nothing staged in this session: back to the upload page (the upload itself is refused above)
    ("observability:area-upload-status", "get", "area_upload", None, (REDIRECT, *(HIDDEN,) * 4)),
    ("observability:area-detail", "get", "area", None, (REDIRECT, OK, OK, OK, OK)),
    ("observability:area-download", "get", "area", None, (REDIRECT, OK, OK, OK, OK)),
    ("prequal:assessing-sos", "get", "cp", None, (REDIRECT, HIDDEN, OK, HIDDEN, OK)),
    ("prequal:spu-list", "get", None, None, (REDIRECT, OK, OK, OK, OK)),
    # Pickers' suggestions: every user searches, within what they read (tests/access/test_pickers.py).
    ("prequal:picker-spu", "get", None, None, (REDIRECT, OK, OK, OK, OK)),
    ("prequal:picker-spg", "get", None, None, (REDIRECT, OK, OK, OK, OK)),
    ("observability:picker-connection-point", "get", None, None, (REDIRECT, OK, OK, OK, OK)),
    ("prequal:spu-create", "get", None, None, (REDIRECT, OK, DENIED, DENIED, DENIED)),
    ("prequal:spu-create", "post", None, None, (REDIRECT, OK, DENIED, DENIED, DENIED)),
    ("prequal:spu-detail", "get", "spu", None, (REDIRECT, HIDDEN, OK, HIDDEN, OK)),
    ("prequal:spu-edit", "get", "spu", None, (REDIRECT, HIDDEN, DENIED, HIDDEN, DENIED)),
    ("prequal:spu-edit", "post", "spu", None, (REDIRECT, HIDDEN, DENIED, HIDDEN, DENIED)),
    ("prequal:spu-deactivate", "post", "spu", None, (REDIRECT, HIDDEN, DENIED, HIDDEN, DENIED)),
    ("prequal:spg-list", "get", None, None, (REDIRECT, OK, OK, OK, OK)),
    ("prequal:spg-create", "get", None, None, (REDIRECT, OK, DENIED, DENIED, DENIED)),
    ("prequal:spg-create", "post", None, None, (REDIRECT, OK, DENIED, DENIED, DENIED)),
    ("prequal:spg-detail", "get", "spg", None, (REDIRECT, HIDDEN, OK, HIDDEN, OK)),
    ("prequal:spg-edit", "get", "spg", None, (REDIRECT, HIDDEN, DENIED, HIDDEN, DENIED)),
    ("prequal:spg-edit", "post", "spg", None, (REDIRECT, HIDDEN, DENIED, HIDDEN, DENIED)),
    ("prequal:spg-deactivate", "post", "spg", None, (REDIRECT, HIDDEN, DENIED, HIDDEN, DENIED)),
    ("prequal:spg-member-add", "get", "spg", None, (NOT_ALLOWED,) * 5),
    ("prequal:spg-member-add", "post", "spg", None, (REDIRECT, HIDDEN, DENIED, HIDDEN, DENIED)),
    ("prequal:spg-member-end", "post", "membership", None, (REDIRECT, HIDDEN, DENIED, HIDDEN, DENIED)),
    ("prequal:product-list", "get", None, None, (REDIRECT, OK, OK, OK, OK)),
    ("prequal:import", "get", None, None, (REDIRECT, OK, DENIED, DENIED, DENIED)),
    ("prequal:import", "post", None, None, (REDIRECT, OK, DENIED, DENIED, DENIED)),
    ("prequal:import-template", "get", None, None, (REDIRECT, OK, DENIED, DENIED, DENIED)),
    ("prequal:case-list", "get", None, None, (REDIRECT, OK, OK, OK, OK)),
    ("prequal:case-create", "get", None, None, (REDIRECT, OK, DENIED, DENIED, DENIED)),
    ("prequal:case-create", "post", None, None, (REDIRECT, OK, DENIED, DENIED, DENIED)),
    ("prequal:case-detail", "get", "case", None, (REDIRECT, HIDDEN, OK, HIDDEN, OK)),
    ("prequal:case-submit", "post", "draft", None, (REDIRECT, HIDDEN, HIDDEN, HIDDEN, HIDDEN)),
    ("prequal:case-delete", "post", "draft", None, (REDIRECT, HIDDEN, HIDDEN, HIDDEN, HIDDEN)),
    ("prequal:case-withdraw", "post", "case", None, (REDIRECT, HIDDEN, DENIED, HIDDEN, DENIED)),
    ("prequal:case-supply-information", "get", "case", None, (REDIRECT,) + (NOT_ALLOWED,) * 4),
    ("prequal:case-supply-information", "post", "case", None, (REDIRECT, HIDDEN, DENIED, HIDDEN, DENIED)),
    ("prequal:queue", "get", None, None, (REDIRECT, DENIED, OK, OK, DENIED)),
    ("prequal:assessment-decide", "get", "assessment", None, (REDIRECT, HIDDEN, DENIED, HIDDEN, DENIED)),
    ("prequal:assessment-decide", "post", "assessment", None, (REDIRECT, HIDDEN, DENIED, HIDDEN, DENIED)),
    ("prequal:assessment-declare-incomplete", "get", "assessment", None, (REDIRECT,) + (NOT_ALLOWED,) * 4),
    ("prequal:assessment-declare-incomplete", "post", "assessment", None,
     (REDIRECT, HIDDEN, DENIED, HIDDEN, DENIED)),
    ("reports:report", "get", None, None, (REDIRECT, HIDDEN, OK, OK, OK)),
    ("reports:report-download", "get", None, {"fmt": "csv"}, (REDIRECT, HIDDEN, OK, OK, OK)),
    ("api:report", "get", None, None, (UNAUTH, HIDDEN, OK, OK, OK)),
    ("api:report-download", "get", None, {"fmt": "csv"}, (UNAUTH, HIDDEN, OK, OK, OK)),
    ("api:register-record-list", "get", None, None, (UNAUTH, OK, OK, OK, OK)),
    # Without a known operator in the body every signed-in role gets past the check to a 400.
    ("api:register-record-list", "post", None, None, (UNAUTH, BAD, BAD, BAD, BAD)),
    ("api:register-record-revise", "post", None, None, (UNAUTH, BAD, BAD, BAD, BAD)),
    ("api:register-record-cancel", "post", None, None, (UNAUTH, BAD, BAD, BAD, BAD)),
    # A TSO platform's award on FSP A's SPU at the local DSO's point (SPEC §4: the local DSO reads it).
    ("api:register-record-detail", "get", "register_record", None, (UNAUTH, HIDDEN, OK, HIDDEN, OK)),
    ("limits:limit-list", "get", None, None, (REDIRECT, OK, OK, OK, OK)),
    ("limits:limit-create", "get", None, None, (REDIRECT, DENIED, DENIED, OK, DENIED)),
    ("limits:limit-create", "post", None, None, (REDIRECT, DENIED, DENIED, OK, DENIED)),
    ("limits:limit-detail", "get", "limit", None, (REDIRECT, HIDDEN, OK, HIDDEN, OK)),
    ("limits:limit-edit", "get", "limit", None, (REDIRECT, HIDDEN, DENIED, HIDDEN, DENIED)),
    ("limits:limit-edit", "post", "limit", None, (REDIRECT, HIDDEN, DENIED, HIDDEN, DENIED)),
    ("limits:limit-lift", "get", "limit", None, (REDIRECT, HIDDEN, DENIED, HIDDEN, DENIED)),
    ("limits:limit-lift", "post", "limit", None, (REDIRECT, HIDDEN, DENIED, HIDDEN, DENIED)),
    ("limits:activation-check", "get", None, None, (REDIRECT, OK, OK, OK, OK)),
    # In-app notifications (issue 15): each user reads and marks only their own; the world's
    # notification is FSP A's user's, so every role here gets 404 for it. Marking all read and
    # saving one's preferences touch only the caller's own rows, and redirect.
    ("api:notification-list", "get", None, None, (UNAUTH, OK, OK, OK, OK)),
    ("api:notification-read", "post", "notice", None, (UNAUTH, HIDDEN, HIDDEN, HIDDEN, HIDDEN)),
    ("api:notification-read-all", "post", None, None, (UNAUTH, OK, OK, OK, OK)),
    ("api:notification-preferences", "get", None, None, (UNAUTH, OK, OK, OK, OK)),
    # An empty body names no kinds (email_kinds is required): past the check to a 400.
    ("api:notification-preferences", "put", None, None, (UNAUTH, BAD, BAD, BAD, BAD)),
    ("notices:list", "get", None, None, (REDIRECT, OK, OK, OK, OK)),
    ("notices:read", "post", "notice", None, (REDIRECT, HIDDEN, HIDDEN, HIDDEN, HIDDEN)),
    ("notices:read-all", "post", None, None, (REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT)),
    ("notices:preferences", "get", None, None, (REDIRECT, OK, OK, OK, OK)),
    ("notices:preferences", "post", None, None, (REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT)),
    # My grid: each SO member sees its own operator's (another's, by ?so=: 404; see test_my_grid.py).
    ("register:my-grid", "get", None, None, (REDIRECT, DENIED, OK, OK, DENIED)),
    ("register:upload", "get", None, None, (REDIRECT, DENIED, DENIED, OK, DENIED)),
    ("register:upload", "post", None, None, (REDIRECT, DENIED, DENIED, BAD, DENIED)),
    ("register:upload-template", "get", None, None, (REDIRECT, DENIED, DENIED, OK, DENIED)),
    # Attachments (issue 15): read by whoever reads the case; attached only by the owning FSP and
    # the assessing SOs' engineers (the world's file is FSP A's on its submitted case).
    ("attachments:upload", "post", "case", None, (REDIRECT, HIDDEN, DENIED, HIDDEN, DENIED)),
    ("attachments:download", "get", "attachment", None, (REDIRECT, HIDDEN, OK, HIDDEN, OK)),
    ("api:case-attachments", "get", "case", None, (UNAUTH, HIDDEN, OK, HIDDEN, OK)),
    ("api:case-attachments", "post", "case", None, (UNAUTH, HIDDEN, DENIED, HIDDEN, DENIED)),
    ("api:attachment-download", "get", "attachment", None, (UNAUTH, HIDDEN, OK, HIDDEN, OK)),
]


MATRIX = [
    Entry(name=n, method=m, obj=o, kwargs=k, expect=dict(zip(ROLES, codes, strict=True)))
    for n, m, o, k, codes in ROWS
]


def _check_as(operator: str):
    """An activation check on FSP A's SPU for the TSO's product, asked as `operator` of the world
    (SPEC §4: only as one's own operator, which must procure the product or assess the resource;
    limits/activation/access.py). The local DSO assesses the submitted case; the TSO procures."""

    def body(world: dict) -> dict:
        return {
            "system_operator": world[operator].organisation.eic_code,
            "spu": world["spu"].pk,
            "product": world["product"].code,
            "direction": "up",
            "quantity_mw": "0.5",
            "start": (SETUP_TIME + timedelta(days=2)).isoformat(),
            "end": (SETUP_TIME + timedelta(days=2, hours=1)).isoformat(),
        }

    return body


MATRIX += [
    # As the TSO: the local viewer and the other DSO may not ask as it; the NRA may.
    Entry(name="api:activation-check", method="post", data=_check_as("tso"),
          expect=reads(fsp_other=HIDDEN, so_viewer=HIDDEN, so_other=HIDDEN)),
    # As the local DSO: its viewer may; the other DSO's engineer may not ask as it.
    Entry(name="api:activation-check", method="post", data=_check_as("operator"),
          expect=reads(fsp_other=HIDDEN, so_other=HIDDEN)),
    # As the other local DSO: neither procures nor assesses; not found, for whoever may ask as it.
    Entry(name="api:activation-check", method="post", data=_check_as("other_operator"),
          expect=reads(fsp_other=HIDDEN, so_viewer=HIDDEN, so_other=HIDDEN, nra=HIDDEN)),
]


def _reserve_as(operator: str):
    """The check above with a reservation (SPEC R11): it writes an award to the register."""

    def body(world: dict) -> dict:
        return {**_check_as(operator)(world), "reserve": True, "external_id": "matrix-reserve"}

    return body


# Reserving writes to the register: only a platform registered for the operator or the operator's
# own engineers may (register.callers), so the viewer and the NRA, who may ask, may not reserve.
MATRIX += [
    Entry(name="api:activation-check", method="post", data=_reserve_as("operator"),
          expect=reads(fsp_other=HIDDEN, so_viewer=DENIED, so_other=HIDDEN, nra=DENIED)),
]



def _register_for(operator: str, field: str):
    """A register write for `operator` of the world (empty: the permission check comes first)."""

    def body(world: dict) -> dict:
        return {"system_operator": world[operator].organisation.eic_code, field: []}

    return body


# Only a market platform registered for the operator, or the operator's own engineers, write to
# the register for it (register.callers): none of these roles for the local DSO.
MATRIX += [
    Entry(name=name, method="post", data=_register_for("operator", field),
          expect=reads(fsp_other=DENIED, so_viewer=DENIED, so_other=DENIED, nra=DENIED))
    for name, field in (("api:register-record-list", "records"), ("api:register-record-revise", "records"),
                        ("api:register-record-cancel", "external_ids"))
]


def _register_record(world: dict, cast):
    from register.services import records_ingest

    start = SETUP_TIME + timedelta(days=2)
    records_ingest(caller=cast.tso_engineer, system_operator=cast.tso, records=[{
        "external_id": "award-1", "kind": "award", "spu": world["spu"].pk, "product": world["product"].code,
        "direction": "up", "quantity_mw": "0.5", "start": start.isoformat(),
        "end": (start + timedelta(hours=1)).isoformat(),
    }])
    return RegisterRecord.objects.get(external_id="award-1")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_every_endpoint_answers_each_role_as_declared(role, cast, media):
    from django.conf import settings

    world = make_world(cast)
    world["register_record"] = _register_record(world, cast)
    world["area_upload"] = AreaUpload.objects.create(
        system_operator=cast.local, uploaded_by=cast.local_engineer, filename="area.geojson", content=b"{}"
    )
    world["attachment"] = attachment_create(
        user=cast.fsp_a_user, case=world["case"], kind="data_sheet",
        file=SimpleUploadedFile("sheet.pdf", b"%PDF-1.4\n%%EOF\n"),
    )
    wrong = []
    with time_machine.travel(SETUP_TIME + timedelta(hours=1), tick=True):
        client = client_for(role, cast)
        for entry in MATRIX:
            response = call(client, entry, world)
            expected = entry.expected(role)
            if response.status_code != expected:
                wrong.append(
                    f"{entry.method.upper()} {entry.name}: {response.status_code}, expected {expected}"
                )
            elif expected == REDIRECT and role == "anonymous":
                if not response.headers["Location"].startswith(reverse(settings.LOGIN_URL)):
                    wrong.append(f"{entry.name}: redirects to {response.headers['Location']}, not the login")
            elif expected == UNAUTH and "Token" not in response.headers.get("WWW-Authenticate", ""):
                wrong.append(f"{entry.name}: 401 without a token challenge")
            if response.status_code >= 500:
                wrong.append(f"{entry.method.upper()} {entry.name}: server error")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)
    # Nothing a refused write touched has changed.
    for key in ("case", "assessment", "draft"):
        obj = world[key]
        assert type(obj).objects.get(pk=obj.pk).status == obj.status, key
    assert type(world["limit"]).objects.get(pk=world["limit"].pk).lifted_at is None
    assert type(world["spu"]).objects.get(pk=world["spu"].pk).is_active
    assert RecordRevision.objects.count() == 1


def _patterns(patterns, prefix="", namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _patterns(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace else (pattern.name or "")
            yield prefix + str(pattern.pattern), name, pattern


def _api_methods(pattern: URLPattern) -> set[str]:
    view = getattr(pattern.callback, "cls", None)
    if view is None:
        return set()
    return {m for m in ("get", "post", "put", "patch", "delete") if hasattr(view, m)}


def test_every_url_pattern_has_an_entry():
    """A URL pattern without a row in ROWS (or a reason in SKIPPED) fails here."""
    covered: dict[str, set[str]] = {}
    for entry in MATRIX:
        covered.setdefault(entry.name, set()).add(entry.method)
    missing, stale = [], set(covered)
    for route, name, pattern in _patterns(get_resolver().url_patterns):
        if route.startswith("admin/") or name.split(":")[0] in SKIPPED or name in SKIPPED:
            continue
        if route.startswith(("static/", "media/")):
            continue
        stale.discard(name)
        if name not in covered:
            missing.append(f"{route} ({name or 'unnamed'})")
            continue
        for method in _api_methods(pattern) - covered[name]:
            missing.append(f"{method.upper()} {route} ({name})")
    assert not missing, "URL patterns without a permission-matrix entry:\n" + "\n".join(missing)
    assert not stale, f"Entries for URL names that no longer exist: {sorted(stale)}"


def test_matrix_is_complete_for_every_role():
    for entry in MATRIX:
        for role in ROLES:
            assert entry.expected(role) in {OK, REDIRECT, BAD, UNAUTH, DENIED, HIDDEN, NOT_ALLOWED}


# SPEC §4, FSP data "read for cases their SO assesses": in the world, the TSO procures mFRR and so
# assesses FSP A's submitted case without connecting its point (reads, cannot write); the regional
# DSO neither connects nor assesses anything there (404). The SPG is in no case: the TSO does not
# read it. (name, method, object): tso_engineer (assessing), regional_engineer (uninvolved).
ASSESSOR_ROWS = [
    ("api:spu-detail", "get", "spu", OK, HIDDEN),
    ("api:spu-detail", "patch", "spu", DENIED, HIDDEN),
    ("api:spu-deactivate", "post", "spu", DENIED, HIDDEN),
    ("api:connection-point-detail", "get", "cp", OK, HIDDEN),
    ("api:connection-point-assessing-sos", "get", "cp", OK, HIDDEN),
    ("api:spg-detail", "get", "spg", HIDDEN, HIDDEN),
    ("prequal:spu-detail", "get", "spu", OK, HIDDEN),
    ("prequal:spu-edit", "get", "spu", DENIED, HIDDEN),
    ("prequal:connection-point-detail", "get", "cp", OK, HIDDEN),
    ("prequal:assessing-sos", "get", "cp", OK, HIDDEN),
    ("prequal:spg-detail", "get", "spg", HIDDEN, HIDDEN),
    ("api:case-detail", "get", "case", OK, HIDDEN),
    ("api:case-attachments", "get", "case", OK, HIDDEN),
]


@pytest.mark.django_db
@pytest.mark.parametrize("persona, column", [("tso_engineer", 0), ("regional_engineer", 1)])
def test_an_so_reads_fsp_data_of_the_cases_it_assesses_and_nothing_else(persona, column, cast):
    world = make_world(cast)
    wrong = []
    with time_machine.travel(SETUP_TIME + timedelta(hours=1), tick=True):
        client = Client(raise_request_exception=False)
        user = getattr(cast, persona)
        client.defaults["HTTP_AUTHORIZATION"] = f"Token {Token.objects.get_or_create(user=user)[0].key}"
        client.force_login(user)
        for name, method, obj, *codes in ASSESSOR_ROWS:
            entry = Entry(name=name, method=method, obj=obj)
            status = call(client, entry, world).status_code
            if status != codes[column]:
                wrong.append(f"{method.upper()} {name}: {status}, expected {codes[column]}")
    assert not wrong, f"{persona}:\n" + "\n".join(wrong)
    assert type(world["spu"]).objects.get(pk=world["spu"].pk).is_active


# The lists' exports (issue 15) hold what the page may show, never more: the same selector scopes
# both. The world gets FSP B's own SPU "B-OWN" at the other local DSO's point, with a submitted
# case (assessed by that DSO and the TSO). Per list: the export's column that names the resource,
# and the values each role's export holds (DENIED: the page itself is refused).
EXPORT_ROWS = {
    "prequal:spu-list": ("Code", {
        "fsp_other": ["B-OWN"], "so_viewer": ["BAT-1"], "so_other": ["B-OWN"], "nra": ["B-OWN", "BAT-1"],
    }),
    "prequal:queue": ("SPU / SPG", {
        "fsp_other": DENIED, "so_viewer": ["SPU BAT-1"], "so_other": ["SPU B-OWN"], "nra": DENIED,
    }),
    "prequal:case-list": ("SPU / SPG", {
        "fsp_other": ["SPU B-OWN"], "so_viewer": ["SPU BAT-1"], "so_other": ["SPU B-OWN"],
        "nra": ["SPU B-OWN", "SPU BAT-1"],
    }),
    "limits:limit-list": ("Target", {
        "fsp_other": [], "so_viewer": ["SPU BAT-1"], "so_other": [], "nra": ["SPU BAT-1"],
    }),
    "prequal:spg-list": ("FSP", {"fsp_other": [], "nra": ["FSP A"]}),
}


def _export_findings(client: Client, name: str, role: str) -> list[str]:
    column, expected = EXPORT_ROWS.get(name, (None, {}))
    want = expected.get(role)
    status = REDIRECT if role == "anonymous" else DENIED if want == DENIED else OK
    page = client.get(reverse(name))
    wrong = []
    for fmt in ("csv", "csv-excel", "xlsx"):
        response = client.get(reverse(name), {"export": fmt})
        if (page.status_code, response.status_code) != (status, status):
            wrong.append(f"{name} {fmt}: {response.status_code}, page {page.status_code}, expected {status}")
        if status != OK or response.status_code != OK:
            continue
        header, *rows = export_rows(response, fmt)
        count = page.context["page_obj"].paginator.count
        if len(rows) != count:  # the page counts what the export holds: one selector scopes both
            wrong.append(f"{name} {fmt}: {len(rows)} rows, the page counts {count}")
        if want is not None:
            held = sorted(str(r[header.index(column)]) for r in rows)
            if held != want:
                wrong.append(f"{name} {fmt}: holds {held}, expected {want}")
    return wrong


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_each_list_export_holds_what_the_page_shows_to_that_role(role, cast):
    world = make_world(cast)
    own = SpuFactory(fsp=cast.fsp_b, code="B-OWN", connection_point=ConnectionPointFactory(
        connecting_so=cast.other_local, latitude=57.7, longitude=11.97))
    with time_machine.travel(SETUP_TIME, tick=False):
        case_submit(user=cast.fsp_b_user, case=case_create_draft(
            user=cast.fsp_b_user, spu=own, product=world["product"]))
    with time_machine.travel(SETUP_TIME + timedelta(hours=1), tick=True):
        client = client_for(role, cast)
        wrong = [finding for name in LIST_PAGES for finding in _export_findings(client, name, role)]
    assert not wrong, f"{role}:\n" + "\n".join(wrong)


# The home page's dashboards (issue 15): each role's figures count only its own operator's or its
# own FSP's rows, read off the page. The world at SETUP_TIME + 1 hour: FSP A's submitted case (the
# local DSO connects, the TSO procures: both assess it) and the local DSO's limit on FSP A's SPU,
# upcoming. (user of the cast, section, figure, count); "rows" is the FSP's matrix.
DASHBOARD_ROWS = [
    ("local_viewer", "so", "open", 1),
    ("local_viewer", "so", "limits_upcoming", 1),
    ("tso_engineer", "so", "open", 1),
    ("tso_engineer", "so", "limits_upcoming", 0),
    ("other_local_engineer", "so", "open", 0),
    ("other_local_engineer", "so", "limits_upcoming", 0),
    ("fsp_a_user", "fsp", "limits_upcoming", 1),
    ("fsp_a_user", "fsp", "rows", 2),
    ("fsp_b_user", "fsp", "limits_upcoming", 0),
    ("fsp_b_user", "fsp", "rows", 0),
    ("nra_analyst", "nra", "decisions", 0),
]


def _dashboard_figure(context, section: str, key: str) -> int:
    dashboard = context[section]
    if key == "rows":
        return len(dashboard.rows)
    figures = [f for group in vars(dashboard).values() if isinstance(group, list) for f in group]
    return next(f.count for f in figures if getattr(f, "key", None) == key)


@pytest.mark.django_db
def test_dashboard_figures_are_each_roles_own(cast):
    make_world(cast)
    wrong = []
    with time_machine.travel(SETUP_TIME + timedelta(hours=1), tick=True):
        for username, section, key, expected in DASHBOARD_ROWS:
            client = Client()
            client.force_login(getattr(cast, username))
            response = client.get(reverse("home"))
            others = {s for s in ("so", "fsp", "nra") if s != section and response.context[s] is not None}
            got = _dashboard_figure(response.context, section, key)
            if got != expected or others:
                wrong.append(f"{username} {section}.{key}: {got}, expected {expected}; also {others}")
    assert not wrong, "\n".join(wrong)
