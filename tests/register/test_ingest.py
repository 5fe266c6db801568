"""records_ingest and records_cancel (SPEC R11): idempotency, revisions, the 409, every bad
input with its index and field, all or nothing, the audit rows, and a constant number of queries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from register.models import RecordRevision, RecordStatus, RegisterBatch, RegisterRecord
from register.services import RecordsRefused, records_cancel, records_ingest
from tests.factories import SpuFactory
from tests.register.helpers import START, iso, rec


def ingest(world, records, *, caller=None, so=None, **kwargs):
    return records_ingest(
        caller=caller or world.nordic, system_operator=so or world.cast.tso, records=records, **kwargs
    )


def refused(world, records, **kwargs) -> RecordsRefused:
    with pytest.raises(RecordsRefused) as exc:
        ingest(world, records, **kwargs)
    return exc.value


def test_a_batch_is_stored_with_its_audit_row(world):
    result = ingest(world, [rec(world, "a"), rec(world, "b", kind="activation", quantity_mw="0.1")])

    assert (result.created, result.revised, result.unchanged) == (2, 0, 0)
    revisions = RecordRevision.objects.order_by("record__external_id")
    assert [(r.record.external_id, r.revision, r.is_current, r.status) for r in revisions] == [
        ("a", 1, True, "active"), ("b", 1, True, "active"),
    ]
    first = revisions[0]
    assert (first.spu_id, first.product_id, first.direction, first.quantity_mw) == (
        world.spu.pk, world.mfrr.pk, "up", Decimal("0.200")
    )
    assert (first.period_start, first.period_end) == (START, START + timedelta(hours=1))
    batch = RegisterBatch.objects.get()
    assert (batch.actor, batch.system_operator, batch.action, batch.received, batch.created) == (
        world.nordic, world.cast.tso, "ingest", 2, 2
    )
    assert set(RecordRevision.objects.values_list("batch_id", flat=True)) == {batch.pk}


def test_the_same_record_sent_twice_is_stored_once(world):
    ingest(world, [rec(world)])
    again = ingest(world, [rec(world, quantity_mw="0.200")])  # the same MW, written otherwise

    assert (again.created, again.unchanged) == (0, 1)
    assert RegisterRecord.objects.count() == 1
    assert RecordRevision.objects.count() == 1
    assert RegisterBatch.objects.count() == 2  # every write is attributed, also an unchanged one


def test_the_same_external_id_of_another_sender_or_operator_is_another_record(world):
    ingest(world, [rec(world, product=world.local_product.code)], caller=world.flex, so=world.cast.local)
    ingest(world, [rec(world)])

    assert RegisterRecord.objects.filter(external_id="r1").count() == 2


def test_other_content_without_revise_is_a_conflict(world):
    ingest(world, [rec(world)])

    exc = refused(world, [rec(world, quantity_mw="0.3")])

    assert exc.status == 409
    assert list(exc.extra["records"]) == ["0"]
    assert "revise" in exc.extra["records"]["0"]["external_id"][0]
    assert RecordRevision.objects.count() == 1


def test_a_revision_keeps_every_revision_and_marks_the_current(world):
    ingest(world, [rec(world)])
    result = ingest(world, [rec(world, quantity_mw="0.3", revise=True)])
    ingest(world, [rec(world, quantity_mw="0.4")], revise_only=True)

    assert result.revised == 1
    rows = RecordRevision.objects.order_by("revision").values_list("revision", "is_current", "quantity_mw")
    assert list(rows) == [
        (1, False, Decimal("0.200")), (2, False, Decimal("0.300")), (3, True, Decimal("0.400"))
    ]
    assert RegisterRecord.objects.count() == 1


def test_a_revision_of_an_unknown_record_is_refused(world):
    exc = refused(world, [rec(world, "unknown", revise=True)])

    assert exc.status == 400
    assert exc.extra["records"]["0"]["external_id"] == ["No record with this external id to revise."]


def test_cancel_adds_a_cancelled_revision_and_a_second_cancel_changes_nothing(world):
    ingest(world, [rec(world)])

    first = records_cancel(caller=world.nordic, system_operator=world.cast.tso, external_ids=["r1"])
    second = records_cancel(caller=world.nordic, system_operator=world.cast.tso, external_ids=["r1"])

    assert (first.cancelled, second.cancelled, second.unchanged) == (1, 0, 1)
    current = RecordRevision.objects.get(is_current=True)
    assert (current.revision, current.status) == (2, RecordStatus.CANCELLED)
    assert current.quantity_mw == Decimal("0.2")
    assert list(RegisterBatch.objects.values_list("action", flat=True)) == ["ingest", "cancel", "cancel"]


def test_a_cancelled_record_sent_again_needs_revise(world):
    ingest(world, [rec(world)])
    records_cancel(caller=world.nordic, system_operator=world.cast.tso, external_ids=["r1"])

    assert refused(world, [rec(world)]).status == 409
    ingest(world, [rec(world, revise=True)])
    assert RecordRevision.objects.get(is_current=True).status == RecordStatus.ACTIVE


def test_cancelling_an_unknown_record_changes_nothing(world):
    ingest(world, [rec(world)])

    with pytest.raises(RecordsRefused) as exc:
        records_cancel(caller=world.nordic, system_operator=world.cast.tso, external_ids=["r1", "nope"])

    message = "No record with this external id to cancel."
    assert exc.value.extra["records"] == {"1": {"external_id": [message]}}
    assert RecordRevision.objects.count() == 1


BAD = [
    ({"start": iso(START + timedelta(minutes=5))}, "start", "Not aligned to the market time unit"),
    ({"end": iso(START + timedelta(minutes=50))}, "end", "Not aligned to the market time unit"),
    ({"quantity_mw": "0.6"}, "quantity_mw", "SPU A-1 offers at most 0.5 MW up."),
    ({"product": "no-such-product"}, "product", "No active product with this code."),
    ({"spu": 999_999}, "spu", "No active SPU with this identifier."),
    ({"spu": None, "spu_code": "NOPE", "fsp_eic": "10X1001A1001A38Y"}, "spu_code", "No active SPU"),
    ({"spu": None}, "spu", "Give exactly one resource"),
    ({"spg": 1}, "spu", "Give exactly one resource"),
    ({"kind": "bid"}, "kind", "Give award or activation."),
    ({"kind": "activation", "direction": "both"}, "direction", "An activation is either up or down."),
    ({"direction": "sideways"}, "direction", "Give up, down or both"),
    ({"quantity_mw": "-1"}, "quantity_mw", "more than 0 MW"),
    ({"quantity_mw": "0.0001"}, "quantity_mw", "At most 3 decimals"),
    ({"quantity_mw": "lots"}, "quantity_mw", "Give the quantity in MW"),
    ({"start": "2030-01-15T10:00:00"}, "start", "Give the UTC offset"),
    ({"start": "tomorrow"}, "start", "ISO 8601"),
    ({"start": "2030-02-30T10:00:00Z"}, "start", "ISO 8601"),
    ({"end": iso(START)}, "end", "The end must come after the start."),
    ({"end": iso(START + timedelta(days=40))}, "end", "at most 31 days"),
    ({"external_id": ""}, "external_id", "Give the platform's own id"),
    ({"external_id": "x" * 101}, "external_id", "At most 100 characters."),
    ({"revise": "yes"}, "revise", "Give true or false."),
    ({"colour": "red"}, "colour", "Unknown field."),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD, ids=[f"{b[1]}-{i}" for i, b in enumerate(BAD)])
def test_every_bad_record_is_reported_with_its_index_and_field(world, change, field, message):
    bad = {name: value for name, value in {**rec(world, "bad"), **change}.items() if value is not None}
    exc = refused(world, [rec(world, "good"), bad])

    assert exc.status == 400
    assert list(exc.extra["records"]) == ["1"]
    assert any(message in m for m in exc.extra["records"]["1"][field])
    assert not RecordRevision.objects.exists()  # all or nothing


def test_all_bad_records_are_reported_at_once(world):
    exc = refused(world, [rec(world, "a", quantity_mw="9"), rec(world, "b"), rec(world, "c", product="x"),
                          rec(world, "a")])

    assert set(exc.extra["records"]) == {"0", "2", "3"}
    message = "The batch holds this external id already, at index 0."
    assert exc.extra["records"]["3"]["external_id"] == [message]


def test_resources_are_found_by_code_and_fsp_eic_and_an_spg_by_its_members_capacity(world):
    spu_by_code = rec(world, "a", spu=None, spu_code="A-1", fsp_eic=world.cast.fsp_a.organisation.eic_code)
    on_group = rec(world, "b", spu=None, spg=world.spg.pk, direction="down", quantity_mw="0.5")

    ingest(world, [spu_by_code, on_group])

    assert RecordRevision.objects.get(record__external_id="a").spu_id == world.spu.pk
    assert RecordRevision.objects.get(record__external_id="b").spg_id == world.spg.pk
    exc = refused(world, [rec(world, "c", spu=None, spg=world.spg.pk, quantity_mw="0.6")])
    assert exc.extra["records"]["0"]["quantity_mw"] == ["SPG GA offers at most 0.5 MW up."]


def test_an_spg_without_members_offers_nothing(world):
    exc = refused(world, [rec(world, spu=None, spg=world.registry["spg_b"].pk)])

    assert exc.extra["records"]["0"]["quantity_mw"] == ["SPG GB offers at most 0 MW up."]


def test_the_batch_shape_is_checked(world):
    with pytest.raises(ValidationError) as exc:
        ingest(world, [])
    assert "records" in exc.value.message_dict
    with pytest.raises(ValidationError):
        ingest(world, [rec(world)] * 10_001)
    assert refused(world, ["not an object"]).extra["records"]["0"]["non_field_errors"]


@pytest.mark.parametrize(
    ("who", "so"),
    [("nordic", "local"), ("flex", "tso"), ("local_viewer", "local"), ("fsp_a_user", "local"),
     ("nra_analyst", "tso"), ("outsider", "tso"), ("other_local_engineer", "local")],
)
def test_only_registered_platforms_and_the_sos_own_engineers_write(world, who, so):
    user = getattr(world, who, None) or getattr(world.cast, who)
    with pytest.raises(PermissionDenied):
        ingest(world, [rec(world)], caller=user, so=getattr(world.cast, so))
    with pytest.raises(PermissionDenied):
        records_cancel(caller=user, system_operator=getattr(world.cast, so), external_ids=["r1"])


def test_an_so_engineer_writes_for_its_own_operator(world):
    ingest(world, [rec(world, product=world.local_product.code)], caller=world.cast.local_engineer,
           so=world.cast.local)

    assert RegisterRecord.objects.get().sender == world.cast.local_engineer


def _batch(world, count: int) -> list[dict]:
    point = world.registry["cp_a"]
    spus = [world.spu] + [SpuFactory(fsp=world.cast.fsp_a, connection_point=point) for _ in range(3)]
    return [
        rec(world, f"q{i}", spu=spus[i % 4].pk, quantity_mw="0.01", at=START + timedelta(minutes=15 * i),
            hours=0.25, kind="activation")
        for i in range(count)
    ]


def test_a_batch_takes_a_constant_number_of_queries(world):
    small, large = _batch(world, 4), _batch(world, 400)
    for i, record in enumerate(large):
        record["external_id"] = f"large-{i}"

    def fresh_caller():  # as on each request: who the caller is gets read again
        return User.objects.get(pk=world.nordic.pk)

    with CaptureQueriesContext(connection) as few:
        ingest(world, small, caller=fresh_caller())
    with CaptureQueriesContext(connection) as many:
        ingest(world, large, caller=fresh_caller())
    revised = [dict(r, quantity_mw="0.02", revise=True) for r in large]
    with CaptureQueriesContext(connection) as revising:
        ingest(world, revised, caller=fresh_caller())

    # 17: My grid's holdings are one INSERT … SELECT more (register.services.grid_holdings).
    assert len(many) == len(few) <= 17
    # The past revisions' mark, and their holdings deleted.
    assert len(revising) <= len(few) + 2
    assert RecordRevision.objects.count() == 4 + 800
