"""CSV import of SPUs with their connection points: all or nothing, every bad row reported."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from common.validators import gs1_check_digit
from observability.models import ConnectionPoint
from prequal.imports import COLUMNS, REQUIRED_COLUMNS, spu_import_csv
from prequal.models import Spu
from tests.factories import ConnectionPointFactory, SpuFactory, make_gsrn

HEADER = ",".join(COLUMNS)


def gsrn(n: int) -> str:
    payload = f"73599988{n:09d}"
    return payload + gs1_check_digit(payload)


def wrong_check(code: str) -> str:
    return code[:-1] + str((int(code[-1]) + 1) % 10)


def row(cast, n: int, **over) -> dict:
    values = {
        "spu_code": f"IMP-{n:04d}", "spu_name": f"Battery {n}", "technology": "battery",
        "max_up_kw": "500", "max_down_kw": "250.5", "gsrn": gsrn(n),
        "connecting_so_eic": cast.local.eic_code, "bidding_zone": "SE3", "voltage_level": "lv",
        "crs": "4326", "x": "18.0686", "y": "59.3293",
    }
    values.update(over)
    return values


def csv_bytes(rows: list[dict], *, columns=COLUMNS, delimiter=",", bom=False) -> bytes:
    out = io.StringIO()
    out.write(delimiter.join(columns) + "\r\n")
    for values in rows:
        out.write(delimiter.join(str(values.get(c, "")) for c in columns) + "\r\n")
    data = out.getvalue().encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if bom else data


def run(cast, data: bytes, *, user=None, fsp=None, dry_run=False, progress=None):
    return spu_import_csv(
        user=user or cast.fsp_a_user, fsp=fsp or cast.fsp_a, file=io.BytesIO(data),
        dry_run=dry_run, progress=progress,
    )


def errors_of(result) -> list[tuple[int, str]]:
    return [(e.line, e.field) for e in result.errors]


def nothing_stored(cast) -> bool:
    return not Spu.objects.filter(fsp=cast.fsp_a).exists() and not ConnectionPoint.objects.filter(
        gsrn__startswith="73599988"
    ).exists()


# --- happy paths ----------------------------------------------------------------------------


def test_it_imports_spus_and_registers_their_points(cast):
    data = csv_bytes([
        row(cast, 1),
        # SWEREF99 TM (EPSG:3006): easting and northing of central Stockholm.
        row(cast, 2, crs="EPSG:3006", x="674572", y="6580743", technology="Heat_Pump"),
        row(cast, 3, crs="3006", x="674571.9", y="6580743", voltage_level="MV", bidding_zone="se4"),
    ])
    seen: list[int] = []
    result = run(cast, data, progress=seen.append)

    assert result.ok, result.errors
    assert (result.rows, result.spus_created, result.connection_points_created) == (3, 3, 3)
    assert "3 SPUs and 3 new connection points imported" in result.summary()
    assert seen[-1] == 3
    first = Spu.objects.get(fsp=cast.fsp_a, code="IMP-0001")
    assert (first.max_up_kw, first.max_down_kw) == (Decimal("500"), Decimal("250.5"))
    assert first.connection_point.connecting_so == cast.local
    second = Spu.objects.get(code="IMP-0002")
    assert second.technology == "heat_pump"
    point = second.connection_point
    assert point.longitude == pytest.approx(18.0686, abs=1e-4)
    assert point.latitude == pytest.approx(59.3293, abs=1e-4)
    third = Spu.objects.get(code="IMP-0003").connection_point
    assert (third.voltage_level, third.bidding_zone) == ("mv", "SE4")


def test_semicolons_bom_and_decimal_commas_are_read(cast):
    data = csv_bytes(
        [row(cast, 1, max_up_kw="12,5", max_down_kw="250,5", x="18,0686", y="59,3293")],
        delimiter=";", bom=True,
    )
    result = run(cast, data)

    assert result.ok, result.errors
    spu = Spu.objects.get(code="IMP-0001")
    assert spu.max_up_kw == Decimal("12.5")
    assert spu.connection_point.longitude == pytest.approx(18.0686)


def test_uploads_spooled_to_disk_are_read_too(cast):
    # Uploads over FILE_UPLOAD_MAX_MEMORY_SIZE arrive as temporary files, not in memory.
    from django.core.files.uploadedfile import TemporaryUploadedFile

    data = csv_bytes([row(cast, 1), row(cast, 2)])
    upload = TemporaryUploadedFile("spus.csv", "text/csv", len(data), "utf-8")
    upload.write(data)
    upload.seek(0)
    result = spu_import_csv(user=cast.fsp_a_user, fsp=cast.fsp_a, file=upload)
    upload.close()

    assert result.ok, result.errors
    assert result.spus_created == 2


def test_the_crs_column_is_optional_and_defaults_to_wgs84(cast):
    columns = [c for c in COLUMNS if c != "crs"]
    result = run(cast, csv_bytes([row(cast, 1)], columns=columns))

    assert result.ok, result.errors
    assert Spu.objects.get(code="IMP-0001").connection_point.latitude == pytest.approx(59.3293)


def test_several_spus_share_a_point_described_once(cast):
    data = csv_bytes([
        row(cast, 1),
        row(cast, 2, gsrn=gsrn(1)),  # same details
        row(cast, 3, gsrn=gsrn(1), x="", y="", voltage_level="", bidding_zone=""),  # details left out
    ])
    result = run(cast, data)

    assert result.ok, result.errors
    assert (result.spus_created, result.connection_points_created) == (3, 1)
    assert Spu.objects.filter(connection_point__gsrn=gsrn(1)).count() == 3


def test_a_registered_point_with_the_same_operator_is_reused(cast):
    existing = ConnectionPointFactory(connecting_so=cast.local, voltage_level="hv")
    data = csv_bytes([
        row(cast, 1, gsrn=existing.gsrn, x="", y="", voltage_level="", bidding_zone=""),
        row(cast, 2, gsrn=existing.gsrn),
    ])
    result = run(cast, data)

    assert result.ok, result.errors
    assert (result.connection_points_created, result.connection_points_reused) == (0, 1)
    assert set(Spu.objects.filter(fsp=cast.fsp_a).values_list("connection_point", flat=True)) == {
        existing.pk
    }
    existing.refresh_from_db()
    assert existing.voltage_level == "hv"  # a registered point keeps its details


def test_a_registered_point_of_another_operator_is_refused(cast):
    existing = ConnectionPointFactory(connecting_so=cast.other_local)
    result = run(cast, csv_bytes([row(cast, 1), row(cast, 2, gsrn=existing.gsrn)]))

    assert errors_of(result) == [(3, "connecting_so_eic")]
    message = result.errors[0].message
    assert existing.gsrn in message and "Other local DSO" in message and "Local DSO" in message
    assert nothing_stored(cast)


def test_a_dry_run_checks_everything_and_stores_nothing(cast):
    result = run(cast, csv_bytes([row(cast, 1), row(cast, 2)]), dry_run=True)

    assert result.ok and result.dry_run
    assert (result.spus_created, result.connection_points_created) == (2, 2)
    assert "Dry run" in result.summary()
    assert nothing_stored(cast)


def test_a_dry_run_reports_bad_rows_too(cast):
    result = run(cast, csv_bytes([row(cast, 1), row(cast, 2, gsrn=wrong_check(gsrn(2)))]), dry_run=True)

    assert errors_of(result) == [(3, "gsrn")]
    assert nothing_stored(cast)


def test_large_files_go_in_batches(cast, monkeypatch):
    monkeypatch.setattr("prequal.imports.reading.BATCH_ROWS", 7)
    rows = [row(cast, n, gsrn=gsrn(n // 2)) for n in range(1, 40)]
    seen: list[int] = []
    result = run(cast, csv_bytes(rows), progress=seen.append)

    assert result.ok, result.errors
    assert (result.spus_created, result.connection_points_created) == (39, 20)
    assert seen == [7, 14, 21, 28, 35, 39]


def test_queries_do_not_grow_with_the_rows(cast, django_assert_max_num_queries, monkeypatch):
    monkeypatch.setattr("prequal.imports.reading.BATCH_ROWS", 100)
    data = csv_bytes([row(cast, n) for n in range(1, 201)])
    # membership check, FSP, operators, the operators' zones and current areas (plausible
    # locations: 3), 2 staging tables created and dropped, then per batch of 100: codes, GSRNs,
    # 2 staged inserts; the swap: 2 inserts (+ savepoint), the reader rows (SPEC §4) of the new
    # units and of their points: a delete and an insert each
    with django_assert_max_num_queries(26):
        result = run(cast, data)
    assert result.spus_created == 200


# --- bad rows: every one reported, nothing stored -----------------------------------------


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_stored(cast):
    SpuFactory(fsp=cast.fsp_a, code="TAKEN", connection_point__connecting_so=cast.local)
    taken_gsrn = Spu.objects.get(code="TAKEN").connection_point.gsrn
    before = Spu.objects.count(), ConnectionPoint.objects.count()
    rows = [
        row(cast, 1),  # line 2: good
        row(cast, 2, gsrn=wrong_check(gsrn(2))),  # 3
        row(cast, 3, gsrn="12345"),  # 4
        row(cast, 4, connecting_so_eic="10YSE-1--------X"),  # 5: wrong EIC check char
        row(cast, 5, connecting_so_eic="10X1001A1001A38Y"),  # 6: valid, but no such operator
        row(cast, 6, bidding_zone="SE 3"),  # 7
        row(cast, 7, voltage_level="400kV"),  # 8
        row(cast, 8, technology="nuclear"),  # 9
        row(cast, 9, max_up_kw="-5"),  # 10
        row(cast, 10, max_down_kw="lots"),  # 11
        row(cast, 11, max_up_kw="0", max_down_kw="0"),  # 12
        row(cast, 12, spu_code="IMP-0001"),  # 13: duplicate code in the file
        row(cast, 13, spu_code="TAKEN"),  # 14: already registered for the FSP
        row(cast, 14, y="95"),  # 15: latitude out of range
        row(cast, 15, crs="EPSG:999999"),  # 16
        row(cast, 16, x="east"),  # 17
        row(cast, 17, gsrn=gsrn(1), voltage_level="mv"),  # 18: same GSRN, other details
        row(cast, 18, gsrn=gsrn(1), connecting_so_eic=cast.other_local.eic_code),  # 19
        row(cast, 19, x="", voltage_level=""),  # 20: a new point needs its details
        row(cast, 20, spu_name=""),  # 21
        row(cast, 21, gsrn=taken_gsrn, connecting_so_eic=cast.other_local.eic_code),  # 22
        row(cast, 22, spu_code="X" * 65),  # 23
    ]
    result = run(cast, csv_bytes(rows))

    assert not result.ok
    assert errors_of(result) == [
        (3, "gsrn"), (4, "gsrn"), (5, "connecting_so_eic"), (6, "connecting_so_eic"),
        (7, "bidding_zone"), (8, "voltage_level"), (9, "technology"), (10, "max_up_kw"),
        (11, "max_down_kw"), (12, "max_up_kw"), (13, "spu_code"), (14, "spu_code"), (15, "y"),
        (16, "crs"), (17, "x"), (18, "voltage_level"), (19, "connecting_so_eic"),
        (20, "x"), (20, "voltage_level"), (21, "spu_name"), (22, "connecting_so_eic"),
        (23, "spu_code"),
    ]
    messages = {(e.line, e.field): e.message for e in result.errors}
    expected_digit = wrong_check(gsrn(2))[-1]
    assert messages[(3, "gsrn")] == (
        f"{wrong_check(gsrn(2))} has a wrong GSRN check digit: expected {gsrn(2)[-1]}."
    )
    assert expected_digit != gsrn(2)[-1]
    assert "expected exactly 18 digits" in messages[(4, "gsrn")]
    assert "wrong EIC check character: expected K" in messages[(5, "connecting_so_eic")]
    assert "No system operator has the EIC code 10X1001A1001A38Y" in messages[(6, "connecting_so_eic")]
    assert "expected one of" in messages[(8, "voltage_level")]
    assert "battery" in messages[(9, "technology")]
    assert "some capacity" in messages[(12, "max_up_kw")]
    assert "already used on line 2" in messages[(13, "spu_code")]
    assert "already has an SPU with the code TAKEN" in messages[(14, "spu_code")]
    assert "line 2" in messages[(18, "voltage_level")]
    assert "line 2" in messages[(19, "connecting_so_eic")]
    assert "registered with Local DSO, not Other local DSO" in messages[(22, "connecting_so_eic")]
    assert str(result.errors[0]).startswith("line 3, gsrn: ")
    assert (Spu.objects.count(), ConnectionPoint.objects.count()) == before
    assert result.spus_created == result.connection_points_created == 0
    assert "22 errors" in result.summary()


def test_a_bad_row_after_many_written_batches_still_stores_nothing(cast, monkeypatch):
    monkeypatch.setattr("prequal.imports.reading.BATCH_ROWS", 5)
    rows = [row(cast, n) for n in range(1, 30)] + [row(cast, 30, technology="steam")]
    result = run(cast, csv_bytes(rows))

    assert errors_of(result) == [(31, "technology")]
    assert nothing_stored(cast)


def test_a_clash_with_a_concurrent_registration_stores_nothing(cast):
    # Another user registers one of the GSRNs after our checks, before the swap.
    def meanwhile(_rows):
        ConnectionPointFactory(gsrn=gsrn(2), connecting_so=cast.local)

    result = run(cast, csv_bytes([row(cast, 1), row(cast, 2)]), progress=meanwhile)

    assert errors_of(result) == [(0, "")]
    assert "import the file again" in result.errors[0].message
    assert not Spu.objects.filter(fsp=cast.fsp_a).exists()
    assert not ConnectionPoint.objects.filter(gsrn=gsrn(1)).exists()


def test_a_reused_point_deleted_before_the_swap_stores_nothing(cast):
    point = ConnectionPointFactory(gsrn=gsrn(1), connecting_so=cast.local)

    def meanwhile(_rows):
        ConnectionPoint.objects.filter(pk=point.pk).delete()

    result = run(cast, csv_bytes([row(cast, 1), row(cast, 2)]), progress=meanwhile)

    assert errors_of(result) == [(0, "")]
    assert nothing_stored(cast)


def test_staged_rows_leave_no_temporary_table_behind(cast):
    from django.db import connection

    run(cast, csv_bytes([row(cast, 1)]))
    run(cast, csv_bytes([row(cast, 2, technology="steam")]))
    tables = connection.introspection.table_names(include_views=False)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_temp_master WHERE type = 'table'")
        else:
            cursor.execute("SELECT relname FROM pg_class WHERE relpersistence = 't' AND relkind = 'r'")
        tables += [name for (name,) in cursor.fetchall()]
    assert not [t for t in tables if t.startswith("import_")]


def test_rows_with_the_wrong_number_of_fields_are_reported(cast):
    data = csv_bytes([row(cast, 1), row(cast, 2)]) + b"IMP-9,too,few\r\n"
    data += csv_bytes([row(cast, 3)]).split(b"\r\n", 1)[1]  # a good row after the bad one
    result = run(cast, data)

    assert errors_of(result) == [(4, "")]
    assert "3 fields; the header has 12" in result.errors[0].message
    assert nothing_stored(cast)


def test_blank_lines_are_skipped_and_line_numbers_stay_true(cast):
    good = csv_bytes([row(cast, 1)])
    data = good + b"\r\n" + b",,,,,,,,,,,\r\n" + csv_bytes([row(cast, 2, gsrn="1")]).split(b"\r\n", 1)[1]
    result = run(cast, data)

    assert errors_of(result) == [(5, "gsrn")]


def test_a_quoted_field_may_span_lines(cast):
    data = csv_bytes([row(cast, 1, spu_name='"Battery\nwith a long name"'), row(cast, 2, gsrn="1")])
    result = run(cast, data)

    assert errors_of(result) == [(4, "gsrn")]


# --- bad files ------------------------------------------------------------------------------


def test_unknown_columns_are_refused(cast):
    result = run(cast, csv_bytes([row(cast, 1)], columns=[*COLUMNS, "colour"]))

    assert errors_of(result) == [(1, "colour")]
    assert "Unknown column" in result.errors[0].message
    assert nothing_stored(cast)


def test_missing_columns_are_refused(cast):
    columns = [c for c in COLUMNS if c not in ("gsrn", "max_down_kw")]
    result = run(cast, csv_bytes([row(cast, 1)], columns=columns))

    assert sorted(errors_of(result)) == [(1, "gsrn"), (1, "max_down_kw")]
    assert all("missing" in e.message for e in result.errors)
    assert nothing_stored(cast)


def test_a_column_given_twice_is_refused(cast):
    result = run(cast, csv_bytes([row(cast, 1)], columns=[*COLUMNS, "gsrn"]))

    assert errors_of(result) == [(1, "gsrn")]
    assert "twice" in result.errors[0].message


def test_a_file_without_a_header_is_refused(cast):
    data = csv_bytes([row(cast, 1)]).split(b"\r\n", 1)[1]
    result = run(cast, data)

    assert errors_of(result) == [(1, "")]
    assert "header row" in result.errors[0].message
    assert nothing_stored(cast)


@pytest.mark.parametrize("data", [b"", b"\r\n", b"\xef\xbb\xbf"])
def test_an_empty_file_is_refused(cast, data):
    result = run(cast, data)

    assert not result.ok
    assert "empty" in result.errors[0].message


def test_a_header_without_rows_is_refused(cast):
    result = run(cast, (HEADER + "\r\n").encode())

    assert not result.ok
    assert "no rows" in result.errors[0].message


def test_bad_quoting_is_refused_with_its_line(cast):
    data = csv_bytes([row(cast, 1)]) + b'IMP-2,"Battery "2"",battery\r\n'
    result = run(cast, data)

    assert errors_of(result) == [(3, "")]
    assert "not valid CSV" in result.errors[0].message
    assert nothing_stored(cast)


def test_an_unterminated_quote_is_refused(cast):
    data = csv_bytes([row(cast, 1)]) + b'IMP-2,"Battery 2,battery\r\n'
    result = run(cast, data)

    assert not result.ok
    assert "not valid CSV" in result.errors[-1].message
    assert nothing_stored(cast)


def test_a_file_mixing_utf8_and_windows_1252_is_refused(cast):
    data = csv_bytes([row(cast, 1, spu_name="Värmepump 1")]) + csv_bytes(
        [row(cast, 2, spu_name="Värmepump 2")]
    ).split(b"\r\n", 1)[1].decode().encode("cp1252")
    result = run(cast, data)

    assert errors_of(result) == [(3, "")]
    assert "mixes two encodings" in result.errors[0].message
    assert nothing_stored(cast)


def test_a_file_over_the_size_limit_is_refused(cast, settings):
    settings.GRIDPREQUAL_MAX_UPLOAD_BYTES = 300
    result = run(cast, csv_bytes([row(cast, n) for n in range(1, 10)]))

    assert not result.ok
    assert "largest file accepted" in result.errors[0].message
    assert nothing_stored(cast)


def test_only_members_of_the_fsp_may_import(cast):
    with pytest.raises(PermissionDenied):
        run(cast, csv_bytes([row(cast, 1)]), user=cast.fsp_b_user)
    with pytest.raises(PermissionDenied):
        run(cast, csv_bytes([row(cast, 1)]), user=cast.local_engineer)
    assert nothing_stored(cast)


def test_every_required_column_is_in_the_template():
    assert set(REQUIRED_COLUMNS) <= set(COLUMNS)


# --- the command ----------------------------------------------------------------------------


def write(tmp_path, data: bytes):
    path = tmp_path / "spus.csv"
    path.write_bytes(data)
    return str(path)


def test_the_command_imports_and_prints_a_summary(cast, tmp_path):
    out = io.StringIO()
    call_command(
        "import_spus", write(tmp_path, csv_bytes([row(cast, 1), row(cast, 2)])),
        fsp=cast.fsp_a.organisation.eic_code, username="fsp_a_user", stdout=out, stderr=io.StringIO(),
    )

    assert out.getvalue().strip() == (
        "2 SPUs and 2 new connection points imported (0 registered connection points reused)."
    )
    assert Spu.objects.filter(fsp=cast.fsp_a).count() == 2


def test_the_command_finds_the_fsp_by_name_and_dry_runs(cast, tmp_path):
    out = io.StringIO()
    call_command(
        "import_spus", write(tmp_path, csv_bytes([row(cast, 1)])), "--dry-run",
        fsp="fsp a", username="fsp_a_user", stdout=out, stderr=io.StringIO(),
    )

    assert out.getvalue().startswith("Dry run: 1 SPU and 1 new connection point would be imported")
    assert nothing_stored(cast)


def test_the_command_lists_every_error_and_fails(cast, tmp_path):
    err = io.StringIO()
    path = write(tmp_path, csv_bytes([row(cast, 1, gsrn="1"), row(cast, 2), row(cast, 3, technology="x")]))
    with pytest.raises(CommandError) as info:
        call_command(
            "import_spus", path, fsp=cast.fsp_a.organisation.eic_code, username="fsp_a_user",
            stdout=io.StringIO(), stderr=err,
        )

    assert info.value.returncode == 1
    assert "2 errors in 3 rows; nothing was imported." in str(info.value)
    lines = err.getvalue().splitlines()
    assert any(line.startswith("line 2, gsrn: 1 is not a GSRN") for line in lines)
    assert any(line.startswith("line 4, technology: ") for line in lines)
    assert nothing_stored(cast)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--fsp", "nobody", "--as", "fsp_a_user"], "No FSP"),
        (["--fsp", "FSP A", "--as", "ghost"], "No user"),
        (["--fsp", "FSP A", "--as", "fsp_b_user"], "does not act for"),
    ],
)
def test_the_command_refuses_bad_options(cast, tmp_path, options, message):
    with pytest.raises(CommandError, match=message):
        call_command("import_spus", write(tmp_path, csv_bytes([row(cast, 1)])), *options,
                     stdout=io.StringIO(), stderr=io.StringIO())


def test_the_command_reads_local_files_over_the_upload_limit_unless_told(cast, tmp_path, settings):
    settings.GRIDPREQUAL_MAX_UPLOAD_BYTES = 100
    path = write(tmp_path, csv_bytes([row(cast, 1)]))
    with pytest.raises(CommandError):
        call_command("import_spus", path, "--max-bytes", "100", fsp="FSP A", username="fsp_a_user",
                     stdout=io.StringIO(), stderr=io.StringIO())
    assert nothing_stored(cast)

    call_command("import_spus", path, fsp="FSP A", username="fsp_a_user",
                 stdout=io.StringIO(), stderr=io.StringIO())
    assert Spu.objects.filter(fsp=cast.fsp_a).count() == 1


def test_the_command_refuses_a_missing_file(cast, tmp_path):
    with pytest.raises(CommandError, match="Cannot open"):
        call_command("import_spus", str(tmp_path / "nope.csv"), fsp="FSP A", username="fsp_a_user",
                     stdout=io.StringIO(), stderr=io.StringIO())


# --- the browser view -----------------------------------------------------------------------


def upload(data: bytes, name="spus.csv"):
    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_an_fsp_user_imports_from_the_page(cast, client):
    client.force_login(cast.fsp_a_user)
    page = client.get(reverse("prequal:import"))
    assert page.status_code == 200
    assert b"Download the CSV template" in page.content

    response = client.post(
        reverse("prequal:import"), {"file": upload(csv_bytes([row(cast, 1), row(cast, 2)]))},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("prequal:spu-list")
    assert "2 SPUs and 2 new connection points imported" in response.content.decode()
    assert Spu.objects.filter(fsp=cast.fsp_a).count() == 2


def test_the_page_lists_every_error_and_stores_nothing(cast, client):
    client.force_login(cast.fsp_a_user)
    data = csv_bytes([row(cast, 1), row(cast, 2, gsrn=wrong_check(gsrn(2))), row(cast, 3, technology="x")])
    response = client.post(reverse("prequal:import"), {"file": upload(data)})

    assert response.status_code == 200
    body = response.content.decode()
    assert "2 problems; nothing was imported" in body
    assert [(e.line, e.field) for e in response.context["result"].errors] == [
        (3, "gsrn"), (4, "technology")
    ]
    assert "has a wrong GSRN check digit" in body
    assert nothing_stored(cast)


def test_the_page_dry_run_stores_nothing(cast, client):
    client.force_login(cast.fsp_a_user)
    response = client.post(
        reverse("prequal:import"), {"file": upload(csv_bytes([row(cast, 1)])), "dry_run": "on"}
    )

    assert response.status_code == 200
    assert "Dry run: 1 SPU and 1 new connection point" in response.content.decode()
    assert nothing_stored(cast)


def test_the_page_needs_a_file(cast, client):
    client.force_login(cast.fsp_a_user)
    response = client.post(reverse("prequal:import"), {})

    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert nothing_stored(cast)


def test_the_page_refuses_a_file_over_the_limit(cast, client, settings):
    settings.GRIDPREQUAL_MAX_UPLOAD_BYTES = 100
    client.force_login(cast.fsp_a_user)
    response = client.post(reverse("prequal:import"), {"file": upload(csv_bytes([row(cast, 1)]))})

    assert "largest file accepted" in response.context["form"].errors["file"][0]
    assert nothing_stored(cast)


def test_a_user_of_two_fsps_chooses_one(cast, client):
    from accounts.models import Membership
    from tests.factories import MembershipFactory

    MembershipFactory(user=cast.fsp_a_user, organisation=cast.fsp_b.organisation,
                      role=Membership.Role.FSP_USER)
    client.force_login(cast.fsp_a_user)
    response = client.post(
        reverse("prequal:import"), {"file": upload(csv_bytes([row(cast, 1)])), "fsp": cast.fsp_b.pk}
    )

    assert response.status_code == 302
    assert Spu.objects.get(code="IMP-0001").fsp == cast.fsp_b


def test_the_template_downloads_and_imports_as_it_is(cast, client):
    client.force_login(cast.fsp_a_user)
    response = client.get(reverse("prequal:import-template"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    lines = response.content.decode().splitlines()
    assert lines[0] == HEADER
    assert len(lines) == 2
    # The example row is importable: it names a real operator and a valid GSRN.
    result = run(cast, response.content)
    assert result.ok, result.errors


@pytest.mark.parametrize("name", ["prequal:import", "prequal:import-template"])
def test_anonymous_visitors_are_sent_to_log_in(client, db, name):
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("persona", ["local_engineer", "nra_analyst", "outsider"])
def test_people_who_are_not_fsp_users_may_not_import(cast, client, persona):
    client.force_login(getattr(cast, persona))

    # They are no FSP's members: the import is not theirs to use.
    assert client.get(reverse("prequal:import")).status_code == 403
    response = client.post(reverse("prequal:import"), {"file": upload(csv_bytes([row(cast, 1)]))})
    assert response.status_code == 403
    assert client.get(reverse("prequal:import-template")).status_code == 403
    assert nothing_stored(cast)


def test_make_gsrn_is_valid_for_the_factories():
    # The helper above and the factories agree on what a valid GSRN is.
    from common.validators import is_valid_gsrn

    assert is_valid_gsrn(gsrn(1)) and is_valid_gsrn(make_gsrn())


def test_a_point_of_another_fsp_is_refused_naming_no_one(cast):
    """A point belongs to the FSP whose units are there: FSP A may not import units at FSP B's
    point (the same message as the form's), and nothing is stored."""
    theirs = SpuFactory(fsp=cast.fsp_b, code="THEIRS",
                        connection_point=ConnectionPointFactory(connecting_so=cast.local))
    gsrn_b = theirs.connection_point.gsrn
    result = run(cast, csv_bytes([row(cast, 1), row(cast, 2, gsrn=gsrn_b), row(cast, 3, gsrn=gsrn_b)]))

    assert errors_of(result) == [(3, "gsrn"), (4, "gsrn")]
    message = result.errors[0].message
    assert gsrn_b in message
    assert not any(name in message for name in ("FSP B", "THEIRS", theirs.name, "Local DSO"))
    assert nothing_stored(cast)
