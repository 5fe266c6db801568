"""The register's REST API (/api/register/): batches, revisions, cancellations, reads."""

from __future__ import annotations

from datetime import timedelta, timezone

import pytest
from django.urls import reverse

from register.models import RecordRevision, RegisterRecord
from register.services import records_ingest
from tests.register.helpers import START, iso, rec

LIST = reverse("api:register-record-list")
REVISE = reverse("api:register-record-revise")
CANCEL = reverse("api:register-record-cancel")


def body(world, *records, so=None):
    return {"system_operator": (so or world.cast.tso).organisation.eic_code, "records": list(records)}


def test_a_platform_sends_a_batch_and_sending_it_again_changes_nothing(world, api_as):
    client = api_as(world.nordic)

    first = client.post(LIST, body(world, rec(world, "a"), rec(world, "b")), format="json")
    again = client.post(LIST, body(world, rec(world, "a"), rec(world, "b")), format="json")

    assert first.status_code == 201
    assert {k: first.json()[k] for k in ("created", "revised", "cancelled", "unchanged")} == {
        "created": 2, "revised": 0, "cancelled": 0, "unchanged": 0,
    }
    assert (again.status_code, again.json()["unchanged"]) == (200, 2)
    assert RecordRevision.objects.count() == 2


def test_bad_records_come_back_by_index_and_field(world, api_as):
    response = api_as(world.nordic).post(
        LIST, body(world, rec(world, "a"), rec(world, "b", quantity_mw="7"), rec(world, "c", product="x")),
        format="json",
    )

    assert response.status_code == 400
    data = response.json()
    assert data["detail"] == "2 records refused; nothing was stored."
    assert set(data["errors"]["records"]) == {"1", "2"}
    assert data["errors"]["records"]["1"]["quantity_mw"] == ["SPU A-1 offers at most 0.5 MW up."]
    assert data["errors"]["records"]["2"]["product"] == ["No active product with this code."]
    assert not RecordRevision.objects.exists()


def test_text_with_nul_characters_is_a_field_error_not_a_server_error(world, api_as):
    """PostgreSQL text cannot hold NUL (0x00): found by the API fuzz as a 500 on PostgreSQL."""
    client = api_as(world.nordic)
    records = [rec(world, "a\x00"), rec(world, "b", product="mfrr\x00")]
    bad = client.post(LIST, body(world, *records), format="json")
    envelope = client.post(LIST, {"system_operator": "10X\x00", "records": [rec(world, "c")]}, format="json")

    assert bad.status_code == 400
    records = bad.json()["errors"]["records"]
    assert records["0"]["external_id"] == records["1"]["product"] == ["Text may not contain NUL characters."]
    assert envelope.status_code == 400 and "system_operator" in envelope.json()["errors"]
    assert not RecordRevision.objects.exists()


def test_the_same_external_id_with_other_content_is_409(world, api_as):
    client = api_as(world.nordic)
    client.post(LIST, body(world, rec(world)), format="json")

    response = client.post(LIST, body(world, rec(world, quantity_mw="0.3")), format="json")

    assert response.status_code == 409
    assert "revise" in response.json()["errors"]["records"]["0"]["external_id"][0]


def test_a_double_activation_is_409_naming_the_first_holder(world, api_as):
    api_as(world.nordic).post(LIST, body(world, rec(world, "n1", quantity_mw="0.4")), format="json")

    local = body(world, rec(world, "f1", product=world.local_product.code), so=world.cast.local)
    response = api_as(world.flex).post(LIST, local, format="json")

    assert response.status_code == 409
    message = response.json()["errors"]["records"]["0"]["non_field_errors"][0]
    assert "Svenska kraftnät" in message and "mfrr-energy" in message and "(record n1)" in message


def test_revise_and_cancel_endpoints_keep_every_revision(world, api_as):
    client = api_as(world.nordic)
    client.post(LIST, body(world, rec(world)), format="json")

    revised = client.post(REVISE, body(world, rec(world, quantity_mw="0.3")), format="json")
    unknown = client.post(REVISE, body(world, rec(world, "nope")), format="json")
    eic = world.cast.tso.organisation.eic_code
    cancelled = client.post(CANCEL, {"system_operator": eic, "external_ids": ["r1"]}, format="json")

    assert (revised.status_code, revised.json()["revised"]) == (201, 1)
    assert unknown.status_code == 400
    assert (cancelled.status_code, cancelled.json()["cancelled"]) == (201, 1)
    record = RegisterRecord.objects.get()
    detail = client.get(reverse("api:register-record-detail", kwargs={"pk": record.pk})).json()
    assert (detail["revision"], detail["status"]) == (3, "cancelled")
    history = [(r["revision"], r["status"], r["quantity_mw"], r["recorded_by"]) for r in detail["revisions"]]
    assert history == [
        (1, "active", "0.200", "nordic_platform"),
        (2, "active", "0.300", "nordic_platform"),
        (3, "cancelled", "0.300", "nordic_platform"),
    ]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"system_operator": "10X1001A1001A38Y", "records": []}, "system_operator"),
        ({"records": []}, "system_operator"),
        ({"system_operator": None, "records": [], "extra": 1}, "extra"),
    ],
)
def test_the_batch_envelope_is_checked(world, api_as, data, field):
    response = api_as(world.nordic).post(LIST, data, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_an_empty_or_oversized_batch_is_refused(world, api_as):
    client = api_as(world.nordic)

    assert client.post(LIST, body(world), format="json").json()["errors"]["records"]
    assert client.post(LIST, {"system_operator": world.cast.tso.organisation.eic_code, "records": "x"},
                       format="json").status_code == 400


def test_a_platform_writes_only_for_the_operators_it_is_registered_for(world, api_as):
    response = api_as(world.nordic).post(LIST, body(world, rec(world), so=world.cast.local), format="json")

    assert response.status_code == 403
    assert not RecordRevision.objects.exists()


@pytest.fixture
def held(world):
    """An award by the Nordic platform (for the TSO) on FSP A's SPU and an activation by the local
    market (for the local DSO) on FSP B's SPU B-1 at the other local DSO's point."""
    records_ingest(caller=world.nordic, system_operator=world.cast.tso, records=[rec(world, "n1")])
    spu_b = world.registry["spu_b"]
    records_ingest(caller=world.flex, system_operator=world.cast.local, records=[
        rec(world, "f1", spu=spu_b.pk, kind="activation", product=world.local_product.code,
            at=START + timedelta(days=1)),
    ])
    return {r.external_id: r for r in RegisterRecord.objects.all()}


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("fsp_a_user", {"n1"}),  # its own SPU's
        ("fsp_b_user", {"f1"}),
        ("local_engineer", {"n1", "f1"}),  # connects A-1; f1 was sent for it
        ("local_viewer", {"n1", "f1"}),
        ("other_local_engineer", {"f1"}),  # connects B-1
        ("tso_engineer", {"n1"}),  # sent for it (it assesses no case here)
        ("regional_engineer", set()),
        ("nra_analyst", {"n1", "f1"}),
        ("outsider", set()),
        ("nordic", {"n1"}),  # platforms: what was sent for their operators
        ("flex", {"f1"}),
    ],
)
def test_each_role_reads_what_spec_4_lets_it_read(world, held, api_as, who, sees):
    client = api_as(getattr(world, who, None) or getattr(world.cast, who))

    listed = {row["external_id"] for row in client.get(LIST).json()["results"]}
    details = {
        external_id: client.get(reverse("api:register-record-detail", kwargs={"pk": record.pk})).status_code
        for external_id, record in held.items()
    }

    assert listed == sees
    assert details == {external_id: 200 if external_id in sees else 404 for external_id in held}


def test_the_list_filters_and_pages(world, held, api_as):
    client = api_as(world.cast.nra_analyst)

    def ids(**params):
        return {row["external_id"] for row in client.get(LIST, params).json()["results"]}

    assert ids(kind="activation") == {"f1"}
    assert ids(spu=world.spu.pk) == {"n1"}
    assert ids(product="mfrr-energy") == {"n1"}
    assert ids(system_operator_eic=world.cast.local.organisation.eic_code) == {"f1"}
    assert ids(after=iso(START + timedelta(hours=2))) == {"f1"}
    assert ids(before=iso(START + timedelta(hours=2))) == {"n1"}
    assert ids(external_id="n1") == {"n1"}
    page = client.get(LIST, {"page_size": 1}).json()
    assert (page["count"], len(page["results"])) == (2, 1)
    assert client.get(LIST, {"kind": "bid"}).status_code == 400


def test_the_period_filters_take_any_iso_offset_and_refuse_instants_out_of_range(world, held, api_as):
    """An ISO 8601 offset PostgreSQL does not take (beyond ±15:59) is read as the instant it
    names; an instant outside 2000–2099 is a 400 naming the parameter (the API fuzz sent
    "0439-04-01T03:03:20.26+23:50" and got a 500 on PostgreSQL)."""
    client = api_as(world.cast.nra_analyst)
    shifted = (START + timedelta(hours=2)).astimezone(timezone(timedelta(hours=23, minutes=50)))

    response = client.get(LIST, {"after": shifted.isoformat()})
    assert response.status_code == 200
    assert {row["external_id"] for row in response.json()["results"]} == {"f1"}
    for value in ("0439-04-01T03:03:20.26+23:50", "2100-01-01T00:00:00Z"):
        response = client.get(LIST, {"after": value, "before": value})
        assert response.status_code == 400
        assert set(response.json()["errors"]) == {"after", "before"}


def test_anonymous_gets_401(client):
    assert client.get(LIST).status_code == 401
