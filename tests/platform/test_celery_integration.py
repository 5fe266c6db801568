"""The deadline sweep on real services: a Redis broker, a Celery worker and beat (SPEC R4, §9).

The worker is another process, so these tests commit their data (transaction=True) and run on
PostgreSQL only (`make test`'s second pass, scripts/with-postgres). An earlier transactional
test may have flushed the data migrations' rows, so the default deadline rule and the beat
entry are made sure of here.
"""

from __future__ import annotations

import json
import re
import threading
from datetime import timedelta

import pytest
import shapely
from celery import Celery
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from shapely.geometry import box

from observability.models import AreaUpload, ObservabilityArea
from prequal.models import Assessment, Case, CaseEvent
from prequal.services.cases import case_create_draft, case_submit
from tests.factories import ProductFactory, SpuFactory
from tests.services import a_session_waits_for_a_lock, wait_until
from tests.workflow_helpers import ensure_default_deadline_rule, many_due_assessments

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

SWEEP_TASK = "prequal.tasks.deadlines_sweep_task"
SILENCE = Assessment.Status.APPROVED_BY_SILENCE


def _sweep_every_minute() -> PeriodicTask:
    """The beat entry of data migration prequal 0003, enabled (created here if it is gone)."""
    ensure_default_deadline_rule()
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.MINUTES)
    entry = PeriodicTask.objects.filter(task=SWEEP_TASK).first()
    if entry is None:
        entry = PeriodicTask.objects.create(name="Deadline sweep", task=SWEEP_TASK, interval=every_minute)
    assert (entry.interval.every, entry.interval.period) == (1, IntervalSchedule.MINUTES)
    if not entry.enabled:
        entry.enabled = True
        entry.save()
    return entry


def _send_sweep(broker_url: str, task: str = SWEEP_TASK, args: list | None = None) -> None:
    """Publish one sweep (or another task) by hand, as beat (or a web process) does, to the test broker."""
    client = Celery("gridprequal-test", broker=broker_url)
    try:
        client.send_task(task, args=args)
    finally:
        client.close()


def _silence_audit_per_assessment(ids) -> dict[int, int]:
    rows = (
        CaseEvent.objects.filter(assessment_id__in=ids, to_state=SILENCE)
        .values("assessment_id")
        .annotate(n=Count("pk"))
    )
    return {row["assessment_id"]: row["n"] for row in rows}


def test_overdue_assessment_is_approved_by_silence_within_a_minute(cast, celery_worker_factory):
    _sweep_every_minute()
    spu = SpuFactory(fsp=cast.fsp_a, connection_point__connecting_so=cast.local)
    product = ProductFactory(procuring_so=cast.tso)
    case = case_submit(
        user=cast.fsp_a_user,
        case=case_create_draft(user=cast.fsp_a_user, product=product, spu=spu),
    )
    assessments = Assessment.objects.filter(case=case)
    assert {a.system_operator_id for a in assessments} == {cast.local.pk, cast.tso.pk}
    worker = celery_worker_factory(beat=True)

    due_at = timezone.now() + timedelta(seconds=2)
    assessments.update(deadline=due_at)

    def all_silenced():
        return not Assessment.objects.filter(case=case).exclude(status=SILENCE).exists()

    # "Within a minute" is the schedule's promise (every minute, asserted above), not this machine's
    # speed: the wait allows beat's next tick plus a loaded machine's slack, and fails only if no
    # tick ever applies the silence.
    wait_until(all_silenced, timeout=150, interval=0.5, message="approval by silence")
    # Beat sent it: nothing else publishes a sweep in this test.
    sent_by_beat = r"Scheduler: Sending due task .*\(prequal\.tasks\.deadlines_sweep_task\)"
    assert re.search(sent_by_beat, worker.log()), worker.log()[-3000:]
    case.refresh_from_db()
    assert case.status == Case.Status.APPROVED
    silence_events = CaseEvent.objects.filter(case=case, to_state=SILENCE)
    assert silence_events.count() == 2
    assert {e.via for e in silence_events} == {CaseEvent.Via.DEADLINE}
    assert all(e.actor_id is None for e in silence_events)


def _other_sessions() -> int:
    """Server sessions on the test database other than this test's own connection."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND backend_type = 'client backend' AND pid <> pg_backend_pid()")
        return cursor.fetchone()[0]


class _Held:
    """Rows locked (SELECT … FOR UPDATE) by another session until release()."""

    def __init__(self, ids: list[int]):
        self._locked, self._release = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._hold, args=(ids,))
        self._thread.start()
        assert self._locked.wait(30), "the rows could not be locked"

    def _hold(self, ids: list[int]) -> None:
        try:
            with transaction.atomic():
                list(Assessment.objects.select_for_update().filter(pk__in=ids).values_list("pk"))
                self._locked.set()
                self._release.wait(300)
        finally:
            connection.close()

    def release(self) -> None:
        self._release.set()
        self._thread.join(60)


def test_killing_the_worker_mid_sweep_loses_nothing_and_doubles_nothing(
    cast, celery_worker_factory, redis_server
):
    count = 2000
    entry = _sweep_every_minute()
    ids = many_due_assessments(cast=cast, count=count)
    # Beat's first run comes a minute after this; the first sweep is sent by hand below.
    entry.last_run_at = timezone.now()
    entry.save()
    silenced = Assessment.objects.filter(pk__in=ids, status=SILENCE)

    # The sweep is caught mid-way by a lock, not by timing: another session holds the rows of the
    # later half (in the sweep's order), so the sweep applies the first half, batch by batch, and
    # its next batch waits on that lock when the worker is killed.
    later = list(Assessment.objects.filter(pk__in=ids).order_by("deadline", "pk")
                 .values_list("pk", flat=True)[count // 2:])
    holding = _Held(later)
    try:
        worker = celery_worker_factory(beat=True)
        _send_sweep(redis_server.url)
        wait_until(lambda: silenced.count() == count // 2 and a_session_waits_for_a_lock(), timeout=120,
                   interval=0.05, message="the sweep to apply the first half and wait on the held rows")
        worker.kill()
    finally:
        holding.release()
    # The killed worker's session, once given the rows, finds its client gone and rolls back:
    # wait until it has ended, so the count below is final.
    wait_until(lambda: not _other_sessions(), timeout=60, message="the killed worker's sessions to end")

    at_kill = silenced.count()
    assert at_kill == count // 2, f"the sweep was not caught mid-way ({at_kill} of {count} applied)"

    # Restart: beat's next minute finishes the job; two sweeps sent at once race each other
    # (concurrency 2) over the same rows and must not apply anything twice.
    celery_worker_factory(beat=True)
    _send_sweep(redis_server.url)
    _send_sweep(redis_server.url)
    wait_until(lambda: silenced.count() == count, timeout=120, interval=0.5,
               message=f"all {count} assessments to be approved by silence")

    per_assessment = _silence_audit_per_assessment(ids)
    assert len(per_assessment) == count
    assert set(per_assessment.values()) == {1}
    assert Case.objects.filter(assessments__pk__in=ids, status=Case.Status.APPROVED).count() == count
    case_outcomes = (
        CaseEvent.objects.filter(assessment__isnull=True, case__assessments__pk__in=ids,
                                 to_state=Case.Status.APPROVED)
        .values("case_id").annotate(n=Count("pk"))
    )
    assert len(case_outcomes) == count
    assert {row["n"] for row in case_outcomes} == {1}


def test_an_area_upload_is_checked_by_the_worker(cast, celery_worker_factory, redis_server):
    """What the upload view queues: the worker reads the staged bytes, records progress and the
    preview (with the impact), drops the bytes; a direct API upload ends as a stored version."""
    geometry = json.loads(shapely.to_geojson(box(18, 59, 18.2, 59.1)))
    doc = {"type": "Feature", "properties": {}, "geometry": geometry}
    content = json.dumps(doc).encode()
    preview = AreaUpload.objects.create(
        system_operator=cast.local, uploaded_by=cast.local_engineer, filename="area.geojson", content=content
    )
    direct = AreaUpload.objects.create(
        system_operator=cast.local, uploaded_by=cast.local_engineer, filename="area.geojson", content=content,
        store_from=timezone.now(),
    )
    celery_worker_factory()
    for upload in (preview, direct):
        _send_sweep(redis_server.url, "observability.tasks.area_upload_process_task", [str(upload.pk)])
    done = AreaUpload.objects.filter(pk__in=[preview.pk, direct.pk], progress=100)
    wait_until(lambda: done.count() == 2, timeout=90, interval=0.2, message="the worker to check the uploads")
    preview.refresh_from_db()
    direct.refresh_from_db()
    assert (preview.status, direct.status) == (AreaUpload.Status.READY, AreaUpload.Status.STORED)
    assert preview.content is None and direct.content is None
    assert preview.preview["impact"]["open_cases_rule"] and preview.geometry_wkb is not None
    assert ObservabilityArea.objects.get(pk=direct.version_id).uploaded_by == cast.local_engineer
