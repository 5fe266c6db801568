"""Retention of the register (issue 14): records older than GRIDPREQUAL_REGISTER_RETENTION_DAYS
are removed, their figures kept in the rollup (per operator, product, kind, direction and month);
the annual figures read the same before and after (computed, removed, computed again: equal)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django_celery_beat.models import PeriodicTask

from register.models import GridSlot, RecordRevision, RegisterConflict, RegisterRecord, RegisterSummary
from register.selectors_figures import register_year_figures
from register.services import RecordsRefused, records_cancel, records_ingest
from register.services.grid_slots import grid_slots_rebuild
from register.services.partitions import partitions_add, partitions_existing
from register.services.retention import register_retention_run
from register.tasks import register_retention_task
from tests.register.helpers import rec

NOW = datetime(2030, 2, 15, 12, 0, tzinfo=UTC)  # with 10 days: the cut-off is 5 February, 12:00 UTC


def at(month: int, day: int) -> datetime:
    return datetime(2030, month, day, 10, 0, tzinfo=UTC)


@pytest.fixture
def held(world, settings):
    """r1 (15 Jan), r2 (an activation, 25 Jan), r3 (2 Feb), r4 (10 Feb), r5 (20 Jan, cancelled),
    r6 (sent for 10 Feb, revised to 28 Jan); and a refused activation down against r2."""
    settings.GRIDPREQUAL_REGISTER_RETENTION_DAYS = 10
    partitions_add(first=date(2030, 1, 1), count=3)
    with time_machine.travel(datetime(2030, 1, 10, tzinfo=UTC), tick=False):
        _send(world)
    return world


def _send(world) -> None:
    tso = world.cast.tso
    send = [rec(world, "r1", at=at(1, 15)), rec(world, "r2", at=at(1, 25), kind="activation"),
            rec(world, "r3", at=at(2, 2), hours=2), rec(world, "r4", at=at(2, 10)),
            rec(world, "r5", at=at(1, 20)), rec(world, "r6", at=at(2, 10), quantity_mw="0.1")]
    records_ingest(caller=world.nordic, system_operator=tso, records=send)
    records_cancel(caller=world.nordic, system_operator=tso, external_ids=["r5"])
    records_ingest(caller=world.nordic, system_operator=tso, records=[
        rec(world, "r6", at=at(1, 28), quantity_mw="0.1", revise=True)
    ])
    with pytest.raises(RecordsRefused):
        records_ingest(caller=world.flex, system_operator=world.cast.local, records=[
            rec(world, "down", at=at(1, 25), kind="activation", direction="down",
                product=world.local_product.code)
        ])


def _figures(world):
    return register_year_figures(operator_ids=[world.cast.tso.pk, world.cast.local.pk], year=2030)


def test_the_annual_figures_are_the_same_after_retention(held):
    before = _figures(held)

    result = register_retention_run(now=NOW)

    assert _figures(held) == before
    tso = before[held.cast.tso.pk]
    # r1, r3, r4, r6 awards (r5 cancelled); r2 an activation of 0.2 MW for an hour: 200 kW·h.
    assert (tso.awards, tso.activations, tso.activation_kw_minutes) == (4, 1, 200 * 60)
    assert tso.award_kw_minutes == 200 * 60 + 200 * 120 + 200 * 60 + 100 * 60
    assert before[held.cast.local.pk].conflicts == 1
    assert result.revisions_removed == 7  # r1, r2, r3, r5 (2), r6 (2: the current one went)
    assert RegisterSummary.objects.filter(month=date(2030, 1, 1)).count() == 2  # awards, activations
    assert sum(RegisterSummary.objects.values_list("records", flat=True)) == 5  # r5 cancelled


def test_only_what_started_after_the_cut_off_stays_in_detail(held):
    register_retention_run(now=NOW)

    kept = RecordRevision.objects.values_list("record__external_id", "revision")
    assert sorted(kept) == [("r4", 1)]
    # r2 stays as an identity, its revisions gone: the refused activation names it as the holder.
    assert sorted(RegisterRecord.objects.values_list("external_id", flat=True)) == ["r2", "r4"]
    assert RegisterConflict.objects.get().holder_record.external_id == "r2"


def test_a_second_run_finds_nothing_and_the_figures_still_hold(held):
    before = _figures(held)
    register_retention_run(now=NOW)

    again = register_retention_run(now=NOW)

    assert (again.revisions_removed, again.records_removed) == (0, 0)
    assert _figures(held) == before


def test_later_runs_remove_more_and_the_rollup_stays(held):
    before = _figures(held)
    register_retention_run(now=NOW)

    later = register_retention_run(now=datetime(2030, 3, 1, tzinfo=UTC))

    assert later.revisions_removed == 1  # r4
    assert not RecordRevision.objects.exists()
    assert _figures(held) == before
    assert RegisterSummary.objects.get(month=date(2030, 2, 1), kind="award").records == 2  # r3, r4


def test_an_old_id_may_be_sent_again_once_its_record_went(held):
    register_retention_run(now=NOW)

    result = records_ingest(caller=held.nordic, system_operator=held.cast.tso, records=[rec(held, "r1")])

    assert result.created == 1


def test_the_command_counts_on_a_dry_run_and_changes_nothing(held, settings):
    out = StringIO()
    settings.GRIDPREQUAL_REGISTER_RETENTION_DAYS = (datetime.now(UTC) - NOW).days + 10
    call_command("register_retention", "--dry-run", stdout=out)

    assert "Would remove 6 revision(s)" in out.getvalue()
    assert RecordRevision.objects.count() == 8

    call_command("register_retention", stdout=out)
    assert "Removed 7 revision(s) and 4 record(s)" in out.getvalue()
    assert RecordRevision.objects.count() == 1


@pytest.mark.postgres
def test_on_postgresql_a_month_wholly_before_the_cut_off_is_dropped(held):
    result = register_retention_run(now=NOW)

    assert result.partitions_dropped == ["register_recordrevision_203001"]
    assert "register_recordrevision_203001" not in partitions_existing()
    assert "register_recordrevision_203002" in partitions_existing()  # r3 went row by row
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM register_recordrevision")
        assert cursor.fetchall() == [("register_recordrevision_203002",)]


def test_beat_runs_retention_daily_through_the_task(held, settings):
    entry = PeriodicTask.objects.get(task="register.tasks.register_retention_task")
    assert entry.enabled and (entry.interval.every, entry.interval.period) == (1, "days")
    settings.GRIDPREQUAL_REGISTER_RETENTION_DAYS = (datetime.now(UTC) - NOW).days + 10

    assert register_retention_task() == 7


def _slots() -> list[tuple]:
    return sorted(
        GridSlot.objects.exclude(kw_minutes=0).values_list("system_operator_id", "slot", "kind", "direction",
                                                           "kw_minutes")
    )


def test_my_grids_summary_loses_the_slots_before_the_cut_off_in_the_same_run(held):
    # r7 straddles the cut-off (5 February, 12:00 UTC): it goes, and what it held after it too.
    with time_machine.travel(datetime(2030, 1, 10, tzinfo=UTC), tick=False):
        records_ingest(caller=held.nordic, system_operator=held.cast.tso, records=[
            rec(held, "r7", at=datetime(2030, 2, 5, 11, 0, tzinfo=UTC), hours=2)
        ])
    cutoff = datetime(2030, 2, 5, 12, 0, tzinfo=UTC)
    assert any(slot < cutoff for _so, slot, *_rest in _slots())
    r7_after = [row for row in _slots() if cutoff <= row[1] < cutoff + timedelta(hours=1)]
    assert r7_after  # held by r7 only

    result = register_retention_run(now=NOW)

    slots = _slots()
    assert result.slots_removed > 0
    assert not GridSlot.objects.filter(slot__lt=cutoff).exists()
    assert not [row for row in slots if cutoff <= row[1] < cutoff + timedelta(hours=1)]
    assert slots  # r4 (10 February) stays, for each operator reading A-1
    grid_slots_rebuild()
    assert _slots() == slots  # the summary equals the records that stay


def test_a_dry_run_counts_the_summarys_slots_and_keeps_them(held):
    before = GridSlot.objects.count()

    result = register_retention_run(now=NOW, dry_run=True)

    cutoff = datetime(2030, 2, 5, 12, tzinfo=UTC)
    assert result.slots_removed == GridSlot.objects.filter(slot__lt=cutoff).count()
    assert result.slots_removed > 0 and GridSlot.objects.count() == before
