"""R1 Who assesses: the resolver over observability areas, and the assessments a submitted case
opens with their reasons."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
import shapely
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Point, Polygon, box

from observability import resolver
from observability.resolver import (
    Reason,
    area_hits_for_coordinates,
    assessing_so_arrays,
    assessing_sos,
    assessing_sos_for_points,
)
from prequal.models import Assessment, Case
from prequal.services.cases import case_preview_assessing_sos
from tests.factories import ConnectionPointFactory, ProductFactory, make_area

C = Case.Status
T0 = datetime(2024, 1, 1, tzinfo=UTC)
T1 = datetime(2025, 1, 1, tzinfo=UTC)


def point_at(so, lon, lat):
    return ConnectionPointFactory(connecting_so=so, longitude=lon, latitude=lat)


def by_so(result):
    return {entry.system_operator_id: entry for entry in result}


@pytest.fixture
def areas(cast):
    """TSO: all of a box; regional: its west half; local: a small square with a hole."""
    make_area(system_operator=cast.tso, geometry=box(10, 55, 25, 70), valid_from=T0)
    make_area(system_operator=cast.regional, geometry=box(10, 55, 17, 70), valid_from=T0)
    ring = [(15, 59), (16, 59), (16, 60), (15, 60)]
    hole = [(15.4, 59.4), (15.6, 59.4), (15.6, 59.6), (15.4, 59.6)]
    make_area(system_operator=cast.local, geometry=Polygon(ring, [hole]), valid_from=T0)
    return cast


def test_typical_point_is_assessed_by_three_sos_with_reasons(areas):
    cast = areas
    cp = point_at(cast.local, 15.2, 59.2)
    result = by_so(assessing_sos(points=[cp], at=T1))
    assert set(result) == {cast.tso.pk, cast.regional.pk, cast.local.pk}
    assert result[cast.local.pk].reasons == {Reason.CONNECTING, Reason.OBSERVABILITY_AREA}
    assert result[cast.tso.pk].reasons == {Reason.OBSERVABILITY_AREA}
    assert result[cast.tso.pk].connection_point_ids == {cp.pk}
    tso_area = cast.tso.observability_areas.get()
    assert result[cast.tso.pk].area_version_ids == {tso_area.pk}


def test_procuring_so_is_added_once(areas):
    cast = areas
    cp = point_at(cast.local, 15.2, 59.2)
    product = ProductFactory(procuring_so=cast.tso)
    result = by_so(assessing_sos(points=[cp], procuring_so=product.procuring_so, at=T1))
    assert len(result) == 3
    assert result[cast.tso.pk].reasons == {Reason.OBSERVABILITY_AREA, Reason.PROCURING}


def test_point_in_hole_is_outside(areas):
    cast = areas
    cp = point_at(cast.other_local, 15.5, 59.5)
    result = by_so(assessing_sos(points=[cp], at=T1))
    assert cast.local.pk not in result
    assert set(result) == {cast.other_local.pk, cast.tso.pk, cast.regional.pk}


@pytest.mark.parametrize(
    "lon,lat",
    [
        (15.0, 59.5),  # on the outer edge
        (15.0, 59.0),  # on an outer vertex
        (15.4, 59.5),  # on the hole's edge: the hole's boundary belongs to the polygon
        (15.6, 59.6),  # on a hole vertex
    ],
)
def test_points_on_edges_and_vertices_count_as_inside(areas, lon, lat):
    cast = areas
    cp = point_at(cast.other_local, lon, lat)
    result = by_so(assessing_sos(points=[cp], at=T1))
    assert cast.local.pk in result


def test_regional_edge_shared_with_nothing_else(areas):
    cast = areas
    cp = point_at(cast.other_local, 17.0, 62.0)  # on the regional area's east edge
    assert cast.regional.pk in by_so(assessing_sos(points=[cp], at=T1))
    cp2 = point_at(cast.other_local, 17.000001, 62.0)
    assert cast.regional.pk not in by_so(assessing_sos(points=[cp2], at=T1))


def test_multipolygon_parts_each_count(cast):
    geometry = MultiPolygon([box(11, 56, 12, 57), box(20, 65, 21, 66)])
    make_area(system_operator=cast.regional, geometry=geometry, valid_from=T0)
    north = point_at(cast.local, 20.5, 65.5)
    south = point_at(cast.local, 11.5, 56.5)
    between = point_at(cast.local, 16, 60)
    result = assessing_sos_for_points(points=[north, south, between], at=T1)
    assert {e.system_operator_id for e in result[north.pk]} == {cast.local.pk, cast.regional.pk}
    assert {e.system_operator_id for e in result[south.pk]} == {cast.local.pk, cast.regional.pk}
    assert {e.system_operator_id for e in result[between.pk]} == {cast.local.pk}


def test_overlapping_areas_of_several_sos(cast):
    make_area(system_operator=cast.local, geometry=box(15, 59, 16, 60), valid_from=T0)
    make_area(system_operator=cast.other_local, geometry=box(15.5, 59.5, 16.5, 60.5), valid_from=T0)
    both = point_at(cast.regional, 15.75, 59.75)
    one = point_at(cast.regional, 15.25, 59.25)
    result = assessing_sos_for_points(points=[both, one], at=T1)
    assert {e.system_operator_id for e in result[both.pk]} == {
        cast.regional.pk, cast.local.pk, cast.other_local.pk}
    assert {e.system_operator_id for e in result[one.pk]} == {cast.regional.pk, cast.local.pk}


def test_versions_change_over_time(cast):
    v1 = make_area(system_operator=cast.local, geometry=box(15, 59, 16, 60), valid_from=T0)
    v2 = make_area(system_operator=cast.local, geometry=box(17, 59, 18, 60), valid_from=T1)
    west = point_at(cast.other_local, 15.5, 59.5)
    east = point_at(cast.other_local, 17.5, 59.5)
    before = datetime(2023, 6, 1, tzinfo=UTC)
    during_v1 = datetime(2024, 6, 1, tzinfo=UTC)
    during_v2 = datetime(2025, 6, 1, tzinfo=UTC)

    def area_ids(cp, at):
        return {a for e in assessing_sos(points=[cp], at=at) for a in e.area_version_ids}

    assert area_ids(west, before) == set()
    assert area_ids(west, during_v1) == {v1.pk}
    assert area_ids(east, during_v1) == set()
    assert area_ids(west, during_v2) == set()
    assert area_ids(east, during_v2) == {v2.pk}
    # The instant a version starts, it is the current one (valid_from is inclusive).
    assert area_ids(east, T1) == {v2.pk}
    assert area_ids(west, T1) == set()


def test_a_new_upload_is_seen_without_clearing_the_cache(cast):
    cp = point_at(cast.local, 15.5, 59.5)
    assert {e.system_operator_id for e in assessing_sos(points=[cp], at=T1)} == {cast.local.pk}
    first_index = resolver._index
    make_area(system_operator=cast.tso, geometry=box(10, 55, 25, 70), valid_from=T0)
    assert cast.tso.pk in {e.system_operator_id for e in assessing_sos(points=[cp], at=T1)}
    assert resolver._index is not first_index


def test_cached_index_costs_one_small_query_per_call(areas):
    cast = areas
    cp = point_at(cast.local, 15.2, 59.2)
    assessing_sos(points=[cp], at=T1)  # builds the index
    with CaptureQueriesContext(connection) as queries:
        assessing_sos(points=[cp], at=T1)
    assert len(queries) == 1
    assert "geometry_wkb" not in queries[0]["sql"]


@pytest.mark.parametrize("procuring_name", ["tso", "other_local", "local", None])
def test_arrays_form_matches_objects_form(areas, procuring_name):
    cast = areas
    points = [point_at(cast.local, 15.2, 59.2), point_at(cast.other_local, 15.5, 59.5),
              point_at(cast.other_local, 24, 69), point_at(cast.local, 30, 50)]
    procuring = getattr(cast, procuring_name) if procuring_name else None
    per_point = assessing_sos_for_points(points=points, procuring_so=procuring, at=T1)
    idx, so, reasons, area = assessing_so_arrays(
        connecting_so_ids=[p.connecting_so_id for p in points],
        lon=[p.longitude for p in points], lat=[p.latitude for p in points],
        procuring_so_id=procuring.pk if procuring else None, at=T1,
    )
    bits = {1: Reason.CONNECTING, 2: Reason.OBSERVABILITY_AREA, 4: Reason.PROCURING}
    from_arrays: dict[int, dict[int, set]] = {}
    area_by_row: dict[tuple[int, int], set] = {}
    for i, s, r, a in zip(idx, so, reasons, area, strict=True):
        assert int(s) not in from_arrays.get(points[i].pk, {}), "one row per point and SO"
        from_arrays.setdefault(points[i].pk, {})[int(s)] = {v for b, v in bits.items() if r & b}
        area_by_row[(points[i].pk, int(s))] = {int(a)} if a >= 0 else set()
    from_objects = {pid: {e.system_operator_id: e.reasons for e in entries}
                    for pid, entries in per_point.items()}
    assert from_arrays == from_objects
    assert area_by_row == {(pid, e.system_operator_id): e.area_version_ids
                           for pid, entries in per_point.items() for e in entries}
    assert list(idx) == sorted(idx)
    # Within a point, the connecting SO comes first.
    firsts = {int(i): int(s) for i, s in reversed(list(zip(idx, so, strict=True)))}
    assert firsts == {i: p.connecting_so_id for i, p in enumerate(points)}


def test_no_areas_gives_connecting_only(cast):
    cp = point_at(cast.local, 15.2, 59.2)
    assert [e.system_operator_id for e in assessing_sos(points=[cp])] == [cast.local.pk]
    hits = area_hits_for_coordinates(lon=[15.2], lat=[59.2])
    assert hits.point_index.size == 0


# A fixed irregular shape set: star-shaped polygons with holes, a multipolygon, overlaps.
def _star(cx, cy, r, n=40, seed=0):
    rng = np.random.default_rng(seed)
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    radii = r * (0.6 + 0.4 * rng.random(n))
    return Polygon(np.column_stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)]))


@pytest.fixture
def random_areas(cast):
    shapes = {
        cast.tso: _star(16, 62, 6, n=120, seed=1),
        cast.regional: _star(15, 60, 3, n=80, seed=2).difference(Point(15, 60).buffer(0.5)),
        cast.local: MultiPolygon([_star(14, 59, 1, seed=3), _star(17, 61, 1, seed=4)]),
        cast.other_local: _star(14.5, 59.5, 1.5, seed=5),
    }
    for so, geometry in shapes.items():
        make_area(system_operator=so, geometry=geometry, valid_from=T0)
    return {so.pk: geometry for so, geometry in shapes.items()}


coordinate = st.tuples(
    st.floats(min_value=8, max_value=24, allow_nan=False),
    st.floats(min_value=54, max_value=70, allow_nan=False),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(points=st.lists(coordinate, min_size=1, max_size=60))
def test_resolver_agrees_with_brute_force(random_areas, points):
    lon = np.array([p[0] for p in points])
    lat = np.array([p[1] for p in points])
    # Also probe exact vertices, where "on the boundary" must count as inside.
    vertices = shapely.get_coordinates(list(random_areas.values()))[:: max(1, len(points))]
    lon = np.concatenate([lon, vertices[:, 0]])
    lat = np.concatenate([lat, vertices[:, 1]])
    expected = {
        (i, so_id)
        for i in range(len(lon))
        for so_id, geometry in random_areas.items()
        if geometry.covers(Point(lon[i], lat[i]))
    }
    hits = area_hits_for_coordinates(lon=lon, lat=lat, at=T1)
    assert set(zip(hits.point_index.tolist(), hits.system_operator_id.tolist(), strict=True)) == expected
    # The bulk path (points indexed, polygons as the query) must agree exactly.
    bulk = resolver.area_index().query(lon=lon, lat=lat, at=T1, few_points=0)
    assert set(zip(bulk.point_index.tolist(), bulk.system_operator_id.tolist(), strict=True)) == expected
    assert bulk.area_id.tolist() == hits.area_id.tolist()


@pytest.mark.parametrize("few_points", [0, 10_000])
def test_both_query_paths_respect_edges_holes_and_time(areas, few_points):
    cast = areas
    lon = np.array([15.0, 15.0, 15.4, 15.5, 15.2, 17.0, 17.000001, 30.0])
    lat = np.array([59.5, 59.0, 59.5, 59.5, 59.2, 62.0, 62.0, 59.0])
    index = resolver.area_index()
    hits = index.query(lon=lon, lat=lat, at=T1, few_points=few_points)
    pairs = set(zip(hits.point_index.tolist(), hits.system_operator_id.tolist(), strict=True))
    local = {i for i, so in pairs if so == cast.local.pk}
    regional = {i for i, so in pairs if so == cast.regional.pk}
    assert local == {0, 1, 2, 4}  # edge, vertex, hole edge, inside; not the hole (3)
    assert 5 in regional and 6 not in regional
    assert not {i for i, _so in pairs if i == 7}
    before = index.query(lon=lon, lat=lat, at=datetime(2023, 1, 1, tzinfo=UTC), few_points=few_points)
    assert before.point_index.size == 0


def test_preview_shows_who_assesses_and_by_when_without_writing(wf, at_t0):
    case = wf.draft()
    plans = case_preview_assessing_sos(case=case)
    assert [(p.system_operator, p.reasons) for p in plans] == [
        (wf.cast.tso, ["procuring"]),
        (wf.cast.local, ["connecting"]),
    ] or [(p.system_operator, p.reasons) for p in plans] == [
        (wf.cast.local, ["connecting"]),
        (wf.cast.tso, ["procuring"]),
    ]
    assert {p.deadline for p in plans} == {datetime(2027, 4, 11, 8, 0, tzinfo=UTC)}
    assert not Assessment.objects.exists()
    assert wf.fresh(case).status == C.DRAFT


def test_spg_case_is_assessed_by_every_members_connecting_so(wf):
    case = wf.spg_case()
    assert set(case.assessments.values_list("system_operator", flat=True)) == {
        wf.cast.local.pk,
        wf.cast.other_local.pk,
        wf.cast.tso.pk,
    }


def test_each_assessment_says_whether_its_so_connects_a_point_of_the_case(wf):
    """`connects` mirrors the "connecting" reason: what the queue's connecting-SO filter reads."""
    case = wf.submitted()
    flags = {a.system_operator_id: a.connects for a in case.assessments.all()}
    assert flags[wf.cast.local.pk] is True
    assert flags[wf.cast.tso.pk] is False
    spg = wf.spg_case()
    connecting = {a.system_operator_id for a in spg.assessments.filter(connects=True)}
    assert connecting == {wf.cast.local.pk, wf.cast.other_local.pk}
    for a in Assessment.objects.all():
        assert a.connects == ("connecting" in a.reasons)


def test_the_migration_backfills_connects_from_the_reasons(wf):
    import importlib

    from django.apps import apps

    wf.spg_case()
    Assessment.objects.update(connects=False)
    importlib.import_module("prequal.migrations.0009_assessment_connects").backfill(apps, None)
    assert Assessment.objects.filter(connects=True).count() == 2
    for a in Assessment.objects.all():
        assert a.connects == ("connecting" in a.reasons)
