"""My grid (SPEC R11, §4): an SO's engineers and viewers see what is prequalified, awarded and
activated in their observability area, as a chart, a map and a table, with links to set a
temporary limit; both operators of a refused double activation see it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from register.charts import chart_svg
from register.selectors_grid import LAST_30, NEXT_48, grid_chart, grid_window
from register.services import RecordsRefused, records_ingest
from tests.factories import ConnectionPointFactory, SpuFactory
from tests.personas import login
from tests.register.helpers import START, rec

NOW = START - timedelta(hours=2)  # 08:00 UTC, 09:00 in Stockholm


@pytest.fixture
def held(world):
    """On SPU A-1 (the local DSO's point): a Nordic award of 0.4 MW up, 10:00–11:00, and four
    15-minute activations of 0.3 MW up in it; a local market's award refused as a double
    activation (the TSO held first)."""
    nordic = [rec(world, "n1", quantity_mw="0.4")] + [
        rec(world, f"a{i}", kind="activation", quantity_mw="0.3", at=START + timedelta(minutes=15 * i),
            hours=0.25)
        for i in range(4)
    ]
    with time_machine.travel(NOW - timedelta(hours=1), tick=False):
        records_ingest(caller=world.nordic, system_operator=world.cast.tso, records=nordic[:1])
        with pytest.raises(RecordsRefused):
            records_ingest(caller=world.flex, system_operator=world.cast.local, records=[
                rec(world, "f1", product=world.local_product.code, quantity_mw="0.2")
            ])


def page(client, user, **query):
    with time_machine.travel(NOW, tick=False):
        return login(client, user).get(reverse("register:my-grid"), query)


def test_the_local_engineer_sees_the_award_in_chart_map_and_table(world, held, client):
    response = page(client, world.cast.local_engineer)

    assert response.status_code == 200
    assert response.context["so"] == world.cast.local
    (row,) = response.context["rows"]
    assert (row.spu, row.award_up, row.award_down, row.activation_up) == (world.spu, 0.4, 0.0, 0.0)
    up = [b for b in response.context["chart"]["bars"] if b.css == "bar-award-up"]
    assert len(up) == 4  # 10:00–11:00 in 15-minute units
    assert response.context["chart"]["paths"] == [("bar-award-up", "".join(
        f"M{b.x} {b.y}h{b.width}v{b.height}h{-b.width}z" for b in up
    ))]
    feature = response.context["map_config"]["data"]["features"][0]
    assert feature["properties"]["gsrn"] == world.registry["cp_a"].gsrn
    assert feature["properties"]["mw"] == 0.4 and feature["properties"]["colour"].startswith("#")
    assert feature["properties"]["url"] == reverse("prequal:assessing-sos", args=[world.registry["cp_a"].pk])
    html = response.content.decode()
    assert f"target_kind=spu&amp;spu={world.spu.pk}" in html
    assert f"connection_point_gsrn={world.registry['cp_a'].gsrn}" in html
    assert 'id="stop-area"' in html
    assert 'style=' not in html.split('<main')[1]  # CSP: no inline styles


def test_times_are_shown_in_stockholm(world, held, client):
    ticks = page(client, world.cast.local_engineer).context["chart"]["ticks"]
    assert ticks[0].label.endswith("09:00")  # the window starts at 08:00 UTC


def test_the_period_switch_reads_the_last_30_days(world, held, client):
    with time_machine.travel(START + timedelta(days=2), tick=False):
        url = reverse("register:my-grid")
        response = login(client, world.cast.local_engineer).get(url, {"period": LAST_30})
        ahead = client.get(reverse("register:my-grid"))

    assert response.context["window"].period == LAST_30
    assert response.context["rows"][0].award_up == 0.4
    assert ahead.context["rows"][0].award_up == 0.0
    assert ahead.context["map_config"] is None


def test_a_viewer_reads_but_gets_no_limit_links(world, held, client):
    response = page(client, world.cast.local_viewer)

    assert response.status_code == 200
    html = response.content.decode()
    assert "target_kind" not in html and 'id="stop-area"' not in html


def test_the_other_dso_sees_its_own_grid_and_not_the_local_one(world, held, client):
    response = page(client, world.cast.other_local_engineer)
    assert [r.spu for r in response.context["rows"]] == [world.registry["spu_b"]]
    assert response.context["map_config"] is None
    assert page(client, world.cast.other_local_engineer, so=world.cast.local.pk).status_code == 404


def test_outsiders_are_refused(world, held, client):
    assert page(client, world.cast.fsp_a_user).status_code == 403
    assert page(client, world.cast.nra_analyst).status_code == 403
    client.logout()
    with time_machine.travel(NOW, tick=False):
        assert client.get(reverse("register:my-grid")).status_code == 302


def test_both_operators_see_the_refused_double_activation(world, held, client):
    for user in (world.cast.local_engineer, world.cast.tso_engineer):
        (conflict,) = page(client, user).context["conflicts"]
        assert (conflict.external_id, conflict.system_operator, conflict.holder_system_operator) == (
            "f1", world.cast.local, world.cast.tso
        )
    assert page(client, world.cast.other_local_engineer).context["conflicts"] == []
    rows = page(client, world.cast.local_engineer).context["rows"]
    assert rows[0].conflicts == 1


def test_an_hour_of_four_activations_reads_their_mean(world):
    records = [rec(world, f"a{i}", kind="activation", quantity_mw=str(q),
                   at=START + timedelta(minutes=15 * i), hours=0.25)
               for i, q in enumerate(("0.1", "0.2", "0.3", "0.4"))]
    with time_machine.travel(NOW, tick=False):
        records_ingest(caller=world.nordic, system_operator=world.cast.tso, records=records)
    with time_machine.travel(START + timedelta(days=1), tick=False):
        from django.utils import timezone

        window = grid_window(period=LAST_30, now=timezone.now())
    series = grid_chart(system_operator=world.cast.local, window=window)
    hour = int((START - window.start) / window.step)
    assert round(series[("activation", "up")][hour], 6) == 0.25
    assert sum(series[("award", "up")]) == 0
    chart = chart_svg(series=series, window=window, time_zone="Europe/Stockholm")
    assert [b.css for b in chart["bars"]] == ["bar-activation-up"]


@pytest.mark.parametrize("query", [{}, {"held": "1"}, {"period": LAST_30}, {"held": "1", "period": LAST_30}])
def test_queries_do_not_grow_with_units_or_records(world, client, query):
    # The last 30 days are read a day after the records' hours, the next 48 hours before them.
    when = START + timedelta(days=1) if query.get("period") == LAST_30 else NOW

    def get():
        with time_machine.travel(when, tick=False):
            return login(client, world.cast.local_engineer).get(reverse("register:my-grid"), query)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert get().status_code == 200
        return len(queries)

    with time_machine.travel(NOW - timedelta(hours=1), tick=False):
        records_ingest(caller=world.nordic, system_operator=world.cast.tso, records=[rec(world, "n1")])
    count()  # the first request fills per-process caches (lookups, content types)
    few = count()
    more = [SpuFactory(fsp=world.cast.fsp_a, code=f"M-{i}",
                       connection_point=ConnectionPointFactory(connecting_so=world.cast.local))
            for i in range(6)]
    with time_machine.travel(NOW - timedelta(hours=1), tick=False):
        records_ingest(caller=world.nordic, system_operator=world.cast.tso, records=[
            rec(world, f"m{i}-{h}", spu=spu.pk, at=START + timedelta(hours=h))
            for i, spu in enumerate(more) for h in range(3)
        ])
    assert count() == few
    response = get()
    assert len(response.context["rows"]) == 7
    assert len(response.context["map_config"]["data"]["features"]) == 7


def test_the_nav_links_my_grid_for_so_members_only(world, client):
    url = reverse("register:my-grid")
    with time_machine.travel(NOW, tick=False):
        assert url in login(client, world.cast.local_viewer).get(reverse("home")).content.decode()
        assert url not in login(client, world.cast.fsp_a_user).get(reverse("home")).content.decode()


def test_an_unknown_period_reads_as_the_next_48_hours(world, client):
    assert page(client, world.cast.local_engineer, period="x").context["window"].period == NEXT_48


def test_only_units_holding_something(world, held, client):
    SpuFactory(fsp=world.cast.fsp_a, code="Z-1", connection_point=world.registry["cp_a"])
    assert len(page(client, world.cast.local_engineer).context["rows"]) == 2
    rows = page(client, world.cast.local_engineer, held="1").context["rows"]
    assert [row.spu for row in rows] == [world.spu]
