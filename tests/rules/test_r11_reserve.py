"""R11 Reserve: the activation check registers what it allows as the caller's award, in the same
transaction and under the same locks as the headroom it computed (limits/activation/reserve.py).
Idempotent by the caller's external id; audited by the register's batch (action "reserve").
Bad input per field; only callers that write to the register may reserve.

Two reservations of the last MW at once (PostgreSQL, two threads): test_r11_reserve_race.py."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from shapely.geometry import box, mapping

from limits.activation.access import activation_caller
from limits.activation.reserve import activation_reserve
from limits.models import TargetKind, TemporaryLimit
from prequal.models import Direction
from register.models import RecordRevision, RegisterBatch, RegisterConflict
from tests.limit_helpers import START, check_body, limit
from tests.register.helpers import platform

URL = "/api/activation-check/"
AREA = mapping(box(17.9, 59.2, 18.2, 59.4))


@pytest.fixture
def rs(grid):
    """The grid with BAT-1 and FSP B's B-7 (2 MW up) prequalified in the area, an area limit of
    1.5 MW up, and platforms `nordic` and `balt` writing for the TSO."""
    grid.other = grid.new_spu(fsp=grid.cast.fsp_b, code="B-7", up_kw="2000")
    for spu in (grid.spu, grid.other):
        grid.prequalify(spu=spu)
    grid.area = limit(grid, quantity="1.5", target_kind=TargetKind.AREA, area=AREA)
    grid.nordic = platform("Nordic", grid.cast.tso)
    grid.balt = platform("Balt", grid.cast.tso)
    return grid


def reserve(grid, user, resource=None, *, quantity="1", external_id="bid-1", direction=Direction.UP, **kw):
    return activation_reserve(
        user=user, caller=activation_caller(user=user), system_operator=grid.cast.tso,
        resource=resource or grid.spu, product=grid.mfrr, direction=direction, quantity_mw=Decimal(quantity),
        start=kw.get("start", START), end=kw.get("end", START + timedelta(hours=1)), external_id=external_id,
    )


def test_a_reservation_registers_what_the_check_allows_with_its_audit_row(rs):
    verdict, reservation = reserve(rs, rs.nordic, quantity="1")
    assert (verdict.color, reservation.quantity_mw, reservation.created) == ("yellow", Decimal("1"), True)
    revision = RecordRevision.objects.get(record__external_id="bid-1")
    assert (revision.kind, revision.spu_id, revision.quantity_mw, revision.direction) == (
        "award", rs.spu.pk, Decimal("1"), "up"
    )
    batch = RegisterBatch.objects.get(pk=reservation.batch_id)
    assert (batch.action, batch.actor, batch.system_operator, batch.created) == (
        RegisterBatch.Action.RESERVE, rs.nordic, rs.cast.tso, 1
    )


def test_the_next_reservation_gets_only_the_headroom_left_then_nothing(rs):
    reserve(rs, rs.nordic, quantity="1")
    verdict, reservation = reserve(rs, rs.balt, rs.other, quantity="1", external_id="b-1")
    assert (verdict.max_quantity_mw, reservation.quantity_mw) == (Decimal("0.5"), Decimal("0.5"))
    verdict, reservation = reserve(rs, rs.balt, rs.other, quantity="0.1", external_id="b-2")
    assert (verdict.color, reservation) == ("red", None)
    assert RecordRevision.objects.count() == 2


def test_the_same_reservation_again_is_stored_once(rs):
    first = reserve(rs, rs.nordic, quantity="1")[1]
    again = reserve(rs, rs.nordic, quantity="1")[1]  # its own award does not eat its headroom
    assert (again.quantity_mw, again.created) == (first.quantity_mw, False)
    assert RecordRevision.objects.count() == 1


def test_a_reservation_counts_the_resources_other_records(rs):
    reserve(rs, rs.nordic, rs.other, quantity="1", external_id="first")
    verdict, reservation = reserve(rs, rs.balt, rs.other, quantity="1", external_id="second")
    assert reservation.quantity_mw == Decimal("0.5")  # not the check's 1.5 (own records excluded)


def test_a_double_activation_is_red_and_kept_as_a_conflict(rs):
    limit_free = rs.new_spu(fsp=rs.cast.fsp_b, up_kw="1000")
    rs.prequalify(spu=limit_free)
    TemporaryLimit.objects.filter(pk=rs.area.pk).update(quantity_mw=Decimal("100"))
    reserve(rs, rs.nordic, limit_free, quantity="1", external_id="n-1")
    verdict, reservation = reserve(rs, rs.balt, limit_free, quantity="1", external_id="b-1")
    assert (verdict.color, reservation) == ("red", None)
    assert "more than its capacity" in verdict.reasons[0]
    assert RegisterConflict.objects.filter(external_id="b-1").count() == 1


def test_only_register_writers_may_reserve(rs):
    for user in (rs.cast.local_viewer, rs.cast.local_engineer, rs.cast.fsp_a_user, rs.cast.nra_analyst):
        with pytest.raises(PermissionDenied):
            reserve(rs, user)
    assert reserve(rs, rs.cast.tso_engineer)[1].quantity_mw == 1  # an SO engineer for its own SO


def test_reserve_one_direction_at_a_time(rs):
    with pytest.raises(ValidationError) as exc:
        reserve(rs, rs.nordic, direction=Direction.BOTH)
    assert "direction" in exc.value.message_dict


# --- the API ---------------------------------------------------------------------------------------


def _post(api_as, user, grid, **overrides):
    return api_as(user).post(URL, check_body(grid, **overrides), format="json")


def test_api_reserve_answers_with_the_reservation(rs, api_as):
    response = _post(api_as, rs.nordic, rs, quantity_mw="2", reserve=True, external_id="bid-9")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["color"] == "yellow" and body["max_quantity_mw"] == "1.000"
    assert set(body["reservation"]) == {"external_id", "quantity_mw", "created", "batch"}
    assert (body["reservation"]["external_id"], body["reservation"]["quantity_mw"]) == ("bid-9", "1.000")
    plain = _post(api_as, rs.nordic, rs).json()
    assert plain["reservation"] is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"reserve": True}, "external_id"),  # reserve without the platform's id
        ({"external_id": "x"}, "external_id"),  # an id without reserve
        ({"reserve": "maybe", "external_id": "x"}, "reserve"),
        ({"reserve": True, "external_id": "x" * 101}, "external_id"),
        ({"reserve": True, "external_id": "x", "start": (START + timedelta(minutes=5)).isoformat(),
          "end": (START + timedelta(minutes=65)).isoformat()}, "start"),  # not on the 15-min MTU
    ],
)
def test_api_reserve_bad_input_per_field_and_nothing_stored(rs, api_as, overrides, field):
    response = _post(api_as, rs.nordic, rs, **overrides)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert RecordRevision.objects.count() == 0


def test_api_reserve_the_same_id_with_other_content_is_a_conflict(rs, api_as):
    assert _post(api_as, rs.nordic, rs, quantity_mw="0.5", reserve=True, external_id="b").status_code == 200
    response = _post(api_as, rs.nordic, rs, quantity_mw="0.7", reserve=True, external_id="b")
    assert response.status_code == 409
    assert "external_id" in response.json()["errors"]


def test_api_reserve_is_refused_on_get_and_for_readers(rs, api_as):
    query = check_body(rs, reserve="true", external_id="g")
    response = api_as(rs.nordic).get(URL, query)
    assert response.status_code == 400 and "reserve" in response.json()["errors"]
    local = rs.cast.local.organisation.eic_code  # the viewer's own operator, which assesses BAT-1
    response = _post(api_as, rs.cast.local_viewer, rs, system_operator=local, reserve=True, external_id="v")
    assert response.status_code == 403
    assert RecordRevision.objects.count() == 0


def test_openapi_describes_reserve_and_the_reservation(client):
    schema = client.get("/api/schema/?format=json").json()
    components = schema["components"]["schemas"]
    assert {"reserve", "external_id"} <= set(components["ActivationCheckInputRequest"]["properties"])
    assert "reservation" in components["ActivationCheckResult"]["properties"]
    assert {"external_id", "quantity_mw", "created", "batch"} <= set(
        components["ActivationReservation"]["properties"]
    )
    assert "reserve" in schema["paths"][URL]["post"]["description"]
