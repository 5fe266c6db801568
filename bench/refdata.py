"""Generate SPEC §7's reference data set "Sweden, fully electrified" into its own database.

1 TSO (Svenska kraftnät), 5 regional and 160 local DSOs (valid EIC codes, the SystemOperator
hierarchy), one observability-area version per operator (2,000 polygons of about 1,000 vertices
in all, built like bench/resolver_bench.py's), FSPs, 1,000,000 connection points (valid GSRN)
with one SPU each, and a year of prequalification: 200,000 cases with 600,000 assessments (each
case assessed by its connecting local DSO, that DSO's regional DSO and the TSO), decisions with
conditions and refusals, approvals by silence, incomplete applications, withdrawals, open
assessments with running deadlines for the cases submitted in the last three months, and the
audit trail each of those steps leaves.

    scripts/with-postgres .venv/bin/python bench/refdata.py                 # full, a few minutes
    scripts/with-postgres .venv/bin/python bench/refdata.py --preset quick  # ~1/100, seconds
    .venv/bin/python bench/refdata.py --preset tiny                         # SQLite file, a smoke test

With DATABASE_URL naming PostgreSQL, the database `gridprequal_reference` on that server is
dropped and recreated (`--database` to name another); without it, var/bench/gridprequal_reference.sqlite3
is. Tables are filled with COPY (PostgreSQL) or executemany (SQLite), then ANALYZEd. The URL of
the generated database is printed last, for the benches that read it (bench/queue_bench.py,
bench/run_all.py).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PRESETS = {
    "full": {"points": 1_000_000, "cases": 200_000, "polygons": 2_000, "vertices": 1_000, "fsps": 200},
    "medium": {"points": 100_000, "cases": 20_000, "polygons": 2_000, "vertices": 1_000, "fsps": 100},
    "quick": {"points": 10_000, "cases": 2_000, "polygons": 400, "vertices": 200, "fsps": 20},
    "tiny": {"points": 400, "cases": 120, "polygons": 166, "vertices": 24, "fsps": 4},
}
# Another name (tests running side by side): GRIDPREQUAL_REFERENCE_DB.
DATABASE_NAME = os.environ.get("GRIDPREQUAL_REFERENCE_DB", "gridprequal_reference")
SQLITE_PATH = ROOT / "var" / "bench" / f"{DATABASE_NAME}.sqlite3"
REGIONALS, LOCALS = 5, 160
TSO_EIC = "10X1001A1001A418"  # Svenska kraftnät's control area (SE)
TZ = "Europe/Stockholm"
# Outcome of one decided assessment: approved 70 %, by silence 8 %, with conditions 15 %, refused 7 %.
OUTCOMES = (
    ("approved", 0.70),
    ("approved_by_silence", 0.78),
    ("conditionally_approved", 0.93),
    ("not_approved", 1.0),
)
WITHDRAWN_SHARE = 0.02
INCOMPLETE_SHARE = 0.10  # of the cases still being assessed
JUSTIFICATION = (
    "The secondary substation is loaded above 95 % at peak; activating the resource would "
    "overload the transformer."
)
LIMITS_EXPLANATION = "The congestion is structural: a temporary limit would have to be in force all year."
CONDITION_REASON = "Winter mornings: the feeder is near its limit."
MISSING = "The single-line diagram of the installation and the meter configuration."
TECHNOLOGIES = ("battery", "ev_charging", "heat_pump", "industrial_load", "solar", "wind", "hydro", "chp")
PRODUCTS = (
    # code, name, kind, directions, MTU, gate closure
    ("fcr-n", "FCR-N", "balancing", "both", 60, 60),
    ("fcr-d-up", "FCR-D up", "balancing", "up", 60, 60),
    ("afrr", "aFRR", "balancing", "both", 15, 45),
    ("mfrr", "mFRR", "balancing", "both", 15, 45),
)


def preset_sizes(preset: str) -> dict:
    return dict(PRESETS[preset])


# --- the database -------------------------------------------------------------------------------


def database_prepare(*, name: str = DATABASE_NAME) -> str:
    """Drop and recreate the reference database; return its URL (also put in DATABASE_URL)."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        parsed = urlparse(url)
        with psycopg.connect(urlunparse(parsed._replace(path="/postgres")), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        target = urlunparse(parsed._replace(path=f"/{name}"))
    else:
        SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        target = f"sqlite:///{SQLITE_PATH}"
    os.environ["DATABASE_URL"] = target
    return target


def database_url(*, name: str = DATABASE_NAME) -> str:
    """The reference database's URL on the server DATABASE_URL names (without recreating it)."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return urlunparse(urlparse(url)._replace(path=f"/{name}"))
    return f"sqlite:///{SQLITE_PATH}"


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
    os.environ["DJANGO_DEBUG"] = "false"  # DEBUG keeps every query's SQL
    os.environ.setdefault("DJANGO_SECRET_KEY", "refdata-bench-not-secret")
    import django

    django.setup()


# --- writing rows fast --------------------------------------------------------------------------


class TableWriter:
    """Rows for one model's table: COPY on PostgreSQL, executemany on SQLite.

    `columns` are given per row; every other NOT NULL column gets the field's default.
    Explicit ids: the generator numbers rows itself so it can refer to them without reading back.
    """

    def __init__(self, model, columns: list[str]) -> None:
        from django.db import connection

        self.model, self.connection = model, connection
        self.columns = list(columns)
        self.tail: tuple = ()
        given = set(columns)
        for f in model._meta.concrete_fields:
            if f.column in given or f.primary_key or f.null:
                continue
            self.columns.append(f.column)
            value = f.get_default()
            if isinstance(value, (list, dict)):
                value = json.dumps(value)
            self.tail += (value,)
        self.count = 0

    def write(self, rows) -> int:
        table = self.model._meta.db_table
        quoted = ", ".join(self.connection.ops.quote_name(c) for c in self.columns)
        self.connection.ensure_connection()
        if self.connection.vendor == "postgresql":
            with self.connection.connection.cursor() as cursor:
                with cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row + self.tail)
                        self.count += 1
        else:
            sql = f"INSERT INTO {table} ({quoted}) VALUES ({', '.join('%s' for _ in self.columns)})"
            batch = []
            ops = self.connection.ops

            def adapt(value):
                if isinstance(value, datetime):
                    return ops.adapt_datetimefield_value(value)
                return str(value) if isinstance(value, Decimal) else value

            with self.connection.cursor() as cursor:
                for row in rows:
                    batch.append(tuple(adapt(v) for v in row + self.tail))
                    if len(batch) >= 5000:
                        cursor.executemany(sql, batch)
                        self.count += len(batch)
                        batch = []
                if batch:
                    cursor.executemany(sql, batch)
                    self.count += len(batch)
        return self.count


def _next_id(model) -> int:
    from django.db.models import Max

    return (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1


def _sequences_reset(models) -> None:
    from django.core.management.color import no_style
    from django.db import connection

    statements = connection.ops.sequence_reset_sql(no_style(), models)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


# --- identifiers ------------------------------------------------------------------------------


def eic_make(prefix: str, n: int) -> str:
    """A valid 16-character EIC code, unique per (prefix, n) (a '-' check char is not allowed)."""
    from common.validators import eic_check_char

    k = 0
    while True:
        body = f"{prefix}GPQ{n:07d}{k:02d}"[:15].upper()
        check = eic_check_char(body)
        if check != "-":
            return body + check
        k += 1


def gsrn_make(n: int) -> str:
    from common.validators import gs1_check_digit

    payload = f"735999{n:011d}"
    return payload + gs1_check_digit(payload)


def bidding_zone(lat: float) -> str:
    return "SE1" if lat >= 65.5 else "SE2" if lat >= 62.0 else "SE3" if lat >= 56.8 else "SE4"


# --- the generator ------------------------------------------------------------------------------


@dataclass
class Reference:
    """What was generated: counts, and the ids benches pick their personas from."""

    counts: dict = field(default_factory=dict)
    seconds: float = 0.0
    now: datetime | None = None
    tso_id: int = 0
    regional_ids: list[int] = field(default_factory=list)
    local_ids: list[int] = field(default_factory=list)
    engineer_by_so: dict[int, int] = field(default_factory=dict)  # SO id -> user id
    fsp_user_by_fsp: dict[int, int] = field(default_factory=dict)  # FSP id -> user id
    analyst_id: int = 0


def _areas(*, polygons: int, vertices: int, seed: int):
    """(TSO outline, 5 regional bands, 160 local multipolygons) from resolver_bench's construction.

    Each local DSO gets a contiguous run of the grid's blobs (shrunk so neighbours do not overlap,
    which keeps each multipolygon valid). Returns (geometries in SO order, grid, cell -> local).
    """
    import numpy as np
    import shapely
    from resolver_bench import EXTENT, make_polygons
    from shapely import affinity

    polygons = max(polygons, 1 + REGIONALS + LOCALS)
    made = make_polygons(polygons=polygons, vertices=vertices, seed=seed)
    tso = made[0][1]
    regionals = [g for tier, g in made if tier == "regional_dso"]
    blobs = [g for tier, g in made if tier == "local_dso"]
    n_local = len(blobs)
    x0, y0, x1, y1 = EXTENT
    ny = max(1, round(np.sqrt(n_local * (y1 - y0) / (x1 - x0))))
    nx = max(1, int(np.ceil(n_local / ny)))
    owner = [i * LOCALS // n_local for i in range(n_local)]  # cell -> local index, contiguous runs
    parts: list[list] = [[] for _ in range(LOCALS)]
    for i, blob in enumerate(blobs):
        gx, gy = i % nx, i // nx
        cx, cy = x0 + (gx + 0.5) * (x1 - x0) / nx, y0 + (gy + 0.5) * (y1 - y0) / ny
        parts[owner[i]].append(affinity.scale(blob, 0.68, 0.68, origin=(cx, cy)))
    locals_ = []
    for p in parts:
        geometry = shapely.MultiPolygon(p)
        if not geometry.is_valid:
            geometry = shapely.unary_union(p)
        locals_.append(geometry)
    # make_polygons lists the bands south to north; the regional DSOs are named north to south.
    return [tso, *reversed(regionals), *locals_], (nx, ny, n_local), owner


def generate(
    *, points: int, cases: int, polygons: int, vertices: int, fsps: int, seed: int = 7, progress: bool = True
) -> Reference:
    """Fill the (migrated, empty) database Django is connected to. Returns what was made."""
    import shapely
    from django.db import connection, transaction
    from django.utils import timezone
    from resolver_bench import EXTENT
    from tqdm import tqdm

    from accounts.models import Membership, Organisation, User
    from observability.areas import area_km2
    from observability.models import ConnectionPoint, ObservabilityArea, SystemOperator
    from prequal.models import Assessment, Case, CaseEvent, Condition, DeadlineRule, Fsp, Product, Spu
    from prequal.services.deadlines import assessment_deadline, outcome_valid_until

    started = time.perf_counter()
    cases = min(cases, points)
    rng = random.Random(seed)
    ref = Reference()
    now = timezone.now().replace(microsecond=0)
    ref.now = now
    year_ago = now - timedelta(days=365)
    bar = tqdm(
        total=points * 2 + cases * 9,
        unit="row",
        unit_scale=True,
        disable=not progress,
        desc="reference data",
        file=sys.stderr,
    )

    # Operators, areas, FSPs, products, people: small, through the ORM.
    geometries, (nx, ny, n_local), owner = _areas(polygons=polygons, vertices=vertices, seed=seed)
    x0, y0, x1, y1 = EXTENT
    with transaction.atomic():
        tso_org = Organisation.objects.create(
            name="Svenska kraftnät", kind="system_operator", eic_code=TSO_EIC
        )
        tso = SystemOperator.objects.create(organisation=tso_org, tier="tso")
        regionals = []
        for k in range(REGIONALS):
            org = Organisation.objects.create(
                name=f"Regionnät {['Norr', 'Mitt', 'Väst', 'Öst', 'Syd'][k]} AB",
                kind="system_operator",
                eic_code=eic_make("44X", 100 + k),
            )
            regionals.append(
                SystemOperator.objects.create(organisation=org, tier="regional_dso", upstream=tso)
            )
        # A local DSO subscribes to the regional band its first grid cell's centre lies in.
        first_cell = {}
        for cell, local in enumerate(owner):
            first_cell.setdefault(local, cell)
        locals_ = []
        for k in range(LOCALS):
            gy = first_cell.get(k, 0) // nx
            band = min(REGIONALS - 1, int((gy + 0.5) / ny * REGIONALS))
            org = Organisation.objects.create(
                name=f"Lokalnät {k + 1:03d} AB", kind="system_operator", eic_code=eic_make("44X", 1000 + k)
            )
            locals_.append(
                SystemOperator.objects.create(
                    organisation=org, tier="local_dso", upstream=regionals[REGIONALS - 1 - band]
                )
            )
        operators = [tso, *regionals, *locals_]
        ref.tso_id, ref.regional_ids, ref.local_ids = (
            tso.pk,
            [r.pk for r in regionals],
            [s.pk for s in locals_],
        )
        valid_from = year_ago - timedelta(days=30)
        areas = ObservabilityArea.objects.bulk_create(
            [
                ObservabilityArea(
                    system_operator=so,
                    valid_from=valid_from,
                    geometry_wkb=shapely.to_wkb(g),
                    min_lon=g.bounds[0],
                    min_lat=g.bounds[1],
                    max_lon=g.bounds[2],
                    max_lat=g.bounds[3],
                    area_km2=area_km2(g),
                    vertex_count=shapely.get_num_coordinates(g),
                    polygon_count=shapely.get_num_geometries(g),
                    source_filename="reference.gpkg",
                    source_epsg=4326,
                )
                for so, g in zip(operators, geometries, strict=True)
            ],
            batch_size=100,
        )
        area_of = {a.system_operator_id: a.pk for a in areas}
        fsp_rows = []
        for k in range(fsps):
            org = Organisation.objects.create(
                name=f"Flexaggregator {k + 1:03d} AB", kind="fsp", eic_code=eic_make("11X", 5000 + k)
            )
            fsp_rows.append(Fsp.objects.create(organisation=org))
        products = [
            Product.objects.create(
                code=code,
                name=name,
                kind=kind,
                procuring_so=tso,
                directions=directions,
                market_time_unit_minutes=mtu,
                gate_closure_minutes=gate,
            )
            for code, name, kind, directions, mtu, gate in PRODUCTS
        ]
        regulator = Organisation.objects.create(name="Energimarknadsinspektionen", kind="regulator")
        users = []
        for so in operators:
            users.append(
                (
                    User(
                        username=f"eng-{so.pk}",
                        first_name="Engineer",
                        last_name=str(so.pk),
                        email=f"eng-{so.pk}@example.se",
                    ),
                    so.organisation,
                    "so_engineer",
                )
            )
        for fsp in fsp_rows:
            users.append(
                (
                    User(
                        username=f"fsp-{fsp.pk}",
                        first_name="Trader",
                        last_name=str(fsp.pk),
                        email=f"fsp-{fsp.pk}@example.se",
                    ),
                    fsp.organisation,
                    "fsp_user",
                )
            )
        users.append((User(username="nra-analyst", email="nra@example.se"), regulator, "nra_analyst"))
        for user, _org, _role in users:
            user.set_unusable_password()
        made_users = User.objects.bulk_create([u for u, _o, _r in users])
        Membership.objects.bulk_create(
            [
                Membership(user=u, organisation=org, role=role)
                for u, (_u, org, role) in zip(made_users, users, strict=True)
            ]
        )
        for u, (_u, org, role) in zip(made_users, users, strict=True):
            if role == "so_engineer":
                ref.engineer_by_so[org.system_operator.pk] = u.pk
            elif role == "fsp_user":
                ref.fsp_user_by_fsp[org.fsp.pk] = u.pk
            else:
                ref.analyst_id = u.pk
        rule = DeadlineRule.objects.filter(jurisdiction__in=["SE", ""]).order_by(
            "-jurisdiction", "valid_from"
        )
        rule = rule.first() or DeadlineRule.objects.create(
            name="SO GL", legal_basis="SO GL Art. 182", valid_from=datetime(2020, 1, 1, tzinfo=UTC)
        )

    # Connection points and SPUs: one SPU behind each point.
    cp_first, spu_first = _next_id(ConnectionPoint), _next_id(Spu)
    point_local: list[int] = []  # index into locals_
    w, h = (x1 - x0) / nx, (y1 - y0) / ny
    created = year_ago - timedelta(days=400)

    def cp_rows():
        for i in range(points):
            lon, lat = rng.uniform(x0, x1), rng.uniform(y0, y1)
            cell = min(int((lat - y0) / h), ny - 1) * nx + min(int((lon - x0) / w), nx - 1)
            local = owner[min(cell, n_local - 1)]
            point_local.append(local)
            voltage = "lv" if i % 20 else ("mv" if i % 100 else "hv")
            yield (
                cp_first + i,
                gsrn_make(i + 1),
                locals_[local].pk,
                round(lat, 6),
                round(lon, 6),
                voltage,
                bidding_zone(lat),
                created,
                created,
            )
            bar.update()

    with transaction.atomic():
        TableWriter(
            ConnectionPoint,
            [
                "id",
                "gsrn",
                "connecting_so_id",
                "latitude",
                "longitude",
                "voltage_level",
                "bidding_zone",
                "created_at",
                "updated_at",
            ],
        ).write(cp_rows())
    fsp_ids = [f.pk for f in fsp_rows]
    spu_fsp: list[int] = []

    def spu_rows():
        for i in range(points):
            fsp = fsp_ids[
                min(int(rng.paretovariate(1.2)) - 1, len(fsp_ids) - 1)
                if i % 3 == 0
                else rng.randrange(len(fsp_ids))
            ]
            spu_fsp.append(fsp)
            tech = TECHNOLOGIES[i % len(TECHNOLOGIES)]
            up = Decimal(rng.choice((5, 11, 22, 50, 150, 500, 1500, 5000)))
            down = up if tech in ("battery", "ev_charging", "heat_pump", "industrial_load") else Decimal(0)
            yield (
                spu_first + i,
                fsp,
                cp_first + i,
                f"SPU-{i + 1:07d}",
                f"{tech.replace('_', ' ').title()} {i + 1}",
                tech,
                up,
                down,
                True,
                created,
                created,
            )
            bar.update()

    with transaction.atomic():
        TableWriter(
            Spu,
            [
                "id",
                "fsp_id",
                "connection_point_id",
                "code",
                "name",
                "technology",
                "max_up_kw",
                "max_down_kw",
                "is_active",
                "created_at",
                "updated_at",
            ],
        ).write(spu_rows())

    # A year of cases: each SPU applies at most once (so one live case per SPU and product).
    case_first, a_first, c_first, e_first = (
        _next_id(Case),
        _next_id(Assessment),
        _next_id(Condition),
        _next_id(CaseEvent),
    )
    chosen = rng.sample(range(points), cases)
    rows_case, rows_a, rows_cond, rows_ev = [], [], [], []
    deadline_cache: dict[datetime, datetime] = {}
    tz_rule = rule

    def deadline_of(start: datetime) -> datetime:
        if start not in deadline_cache:
            deadline_cache[start] = assessment_deadline(rule=tz_rule, start=start, time_zone=TZ)
        return deadline_cache[start]

    for n, i in enumerate(chosen):
        case_id = case_first + n
        fsp = spu_fsp[i]
        fsp_user = ref.fsp_user_by_fsp[fsp]
        local = locals_[point_local[i]]
        sos = (local.pk, local.upstream_id, tso.pk)
        reasons = (
            ['"connecting"', '"observability_area"'],
            ['"observability_area"'],
            ['"observability_area"', '"procuring"'],
        )
        submitted = (now - timedelta(seconds=rng.uniform(60, 365 * 86400))).replace(microsecond=0)
        drafted = submitted - timedelta(seconds=rng.uniform(600, 3 * 86400))
        deadline = deadline_of(submitted)
        product = products[rng.randrange(len(products))].pk
        events = [
            (case_id, None, submitted, fsp_user, "user", "submit", "draft", "submitted", ""),
            (
                case_id,
                None,
                submitted,
                None,
                "system",
                "open_assessment",
                "submitted",
                "under_assessment",
                "Assessments opened.",
            ),
        ]
        status, decided_at, valid_until, info_at, supplement_due = "under_assessment", None, None, None, None
        draws = []
        for _k in range(len(sos)):
            r = rng.random()
            outcome = next(o for o, upto in OUTCOMES if r < upto)
            if outcome == "approved_by_silence":
                when = deadline
            else:
                when = submitted + timedelta(days=rng.triangular(1, 88, 25), seconds=rng.uniform(0, 86400))
            draws.append((outcome, when))
        # The FSP may withdraw while some assessment is still open (never after the outcome).
        withdrawn_at = submitted + timedelta(days=rng.uniform(1, 60))
        withdrawn = (
            rng.random() < WITHDRAWN_SHARE
            and withdrawn_at < now
            and max(when for _o, when in draws) > withdrawn_at
        )
        if withdrawn:
            events.append(
                (
                    case_id,
                    None,
                    withdrawn_at,
                    fsp_user,
                    "user",
                    "withdraw",
                    "under_assessment",
                    "withdrawn",
                    "Withdrawn by the FSP.",
                )
            )
        assessments = []
        for k, (so, (outcome, when)) in enumerate(zip(sos, draws, strict=True)):
            a_id = a_first + 3 * n + k
            a = {
                "id": a_id,
                "so": so,
                "status": "pending",
                "deadline": deadline,
                "decided_at": None,
                "decided_by": None,
                "reason": "",
                "justification": "",
                "limits_explanation": "",
                "incomplete_at": None,
                "missing": "",
                "reasons": reasons[k],
            }
            if withdrawn and when >= withdrawn_at:
                a["status"], a["deadline"] = "cancelled", None
                events.append(
                    (
                        case_id,
                        a_id,
                        withdrawn_at,
                        fsp_user,
                        "user",
                        "cancel",
                        "pending",
                        "cancelled",
                        "Withdrawn by the FSP.",
                    )
                )
            elif when <= now:
                a["status"], a["decided_at"] = outcome, when
                if outcome == "approved_by_silence":
                    events.append(
                        (
                            case_id,
                            a_id,
                            when,
                            None,
                            "deadline",
                            "apply_silence",
                            "pending",
                            outcome,
                            f"No decision by the deadline ({tz_rule.legal_basis}).",
                        )
                    )
                else:
                    a["decided_by"] = ref.engineer_by_so[so]
                    method = {
                        "approved": "approve",
                        "conditionally_approved": "approve_with_conditions",
                        "not_approved": "refuse",
                    }[outcome]
                    if outcome == "not_approved":
                        a["justification"], a["limits_explanation"] = JUSTIFICATION, LIMITS_EXPLANATION
                    elif outcome == "conditionally_approved":
                        a["reason"] = CONDITION_REASON
                        rows_cond.append(
                            (
                                c_first + len(rows_cond),
                                a_id,
                                Decimal("0.500"),
                                None,
                                "[12, 1, 2]",
                                "[0, 1, 2, 3, 4]",
                                "07:00",
                                "09:00",
                                TZ,
                                when,
                                when,
                            )
                        )
                    events.append(
                        (
                            case_id,
                            a_id,
                            when,
                            a["decided_by"],
                            "user",
                            method,
                            "pending",
                            outcome,
                            a["reason"] or a["justification"],
                        )
                    )
            assessments.append(a)
        if withdrawn:
            status = "withdrawn"
        else:
            open_ = [a for a in assessments if a["status"] == "pending"]
            if not open_:
                statuses = {a["status"] for a in assessments}
                method, status = (
                    ("refuse", "not_approved")
                    if "not_approved" in statuses
                    else ("approve_conditionally", "conditionally_approved")
                    if "conditionally_approved" in statuses
                    else ("approve", "approved")
                )
                decided_at = max(a["decided_at"] for a in assessments)
                valid_until = outcome_valid_until(rule=tz_rule, decided_at=decided_at, time_zone=TZ)
                events.append(
                    (
                        case_id,
                        None,
                        decided_at,
                        None,
                        "system",
                        method,
                        "under_assessment",
                        status,
                        "All assessments are decided.",
                    )
                )
            elif rng.random() < INCOMPLETE_SHARE:
                # R3: one SO declared it incomplete; every open clock stopped until the FSP supplies.
                declared = max(submitted + timedelta(hours=1), now - timedelta(days=rng.uniform(0.1, 25)))
                if all(a["decided_at"] is None or a["decided_at"] < declared for a in assessments):
                    first = open_[0]
                    first["status"], first["incomplete_at"], first["missing"] = (
                        "incomplete",
                        declared,
                        MISSING,
                    )
                    for a in open_:
                        a["deadline"] = None
                    info_at, supplement_due = (
                        declared,
                        declared + timedelta(days=tz_rule.supplement_period_days),
                    )
                    events.append(
                        (
                            case_id,
                            first["id"],
                            declared,
                            ref.engineer_by_so[first["so"]],
                            "user",
                            "declare_incomplete",
                            "pending",
                            "incomplete",
                            MISSING,
                        )
                    )
        rows_case.append(
            (
                case_id,
                fsp,
                spu_first + i,
                product,
                status,
                1,
                fsp_user,
                submitted,
                decided_at,
                valid_until,
                info_at,
                supplement_due,
                drafted,
                max(e[2] for e in events),
            )
        )
        for a in assessments:
            rows_a.append(
                (
                    a["id"],
                    case_id,
                    1,
                    a["so"],
                    "[" + ", ".join(a["reasons"]) + "]",
                    '"connecting"' in a["reasons"],
                    f"[{area_of[a['so']]}]",
                    a["status"],
                    a["deadline"],
                    tz_rule.pk,
                    submitted,
                    a["incomplete_at"],
                    a["missing"],
                    a["decided_by"],
                    a["decided_at"],
                    a["reason"],
                    a["justification"],
                    a["limits_explanation"],
                    submitted,
                    a["decided_at"] or a["incomplete_at"] or submitted,
                )
            )
        events.sort(key=lambda e: e[2])
        for e in events:
            rows_ev.append((e_first + len(rows_ev), *e))
        bar.update(3)

    # The order of the tuples in rows_a.
    assessment_columns = [
        "id",
        "case_id",
        "round",
        "system_operator_id",
        "reasons",
        "connects",
        "area_version_ids",
        "status",
        "deadline",
        "deadline_rule_id",
        "clock_started_at",
        "incomplete_declared_at",
        "missing_information",
        "decided_by_id",
        "decided_at",
        "reason",
        "justification",
        "limits_explanation",
        "created_at",
        "updated_at",
    ]
    status_at = assessment_columns.index("status")

    def counted(rows, step):
        for row in rows:
            yield row
            bar.update(step)

    with transaction.atomic():
        TableWriter(
            Case,
            [
                "id",
                "fsp_id",
                "spu_id",
                "product_id",
                "status",
                "round",
                "created_by_id",
                "submitted_at",
                "decided_at",
                "valid_until",
                "information_requested_at",
                "supplement_due",
                "created_at",
                "updated_at",
            ],
        ).write(counted(rows_case, 1))
        TableWriter(Assessment, assessment_columns).write(counted(rows_a, 1))
        TableWriter(
            Condition,
            [
                "id",
                "assessment_id",
                "max_up_mw",
                "max_down_mw",
                "months",
                "weekdays",
                "start_time",
                "end_time",
                "time_zone",
                "created_at",
                "updated_at",
            ],
        ).write(iter(rows_cond))
        TableWriter(
            CaseEvent,
            [
                "id",
                "case_id",
                "assessment_id",
                "at",
                "actor_id",
                "via",
                "action",
                "from_state",
                "to_state",
                "reason",
            ],
        ).write(counted(rows_ev, 0))
        bar.update(cases * 2)
    _sequences_reset([ConnectionPoint, Spu, Case, Assessment, Condition, CaseEvent])
    bar.set_description("ANALYZE")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    bar.close()
    ref.counts = {
        "system_operators": SystemOperator.objects.count(),
        "observability_areas": len(areas),
        "area_polygons": int(sum(shapely.get_num_geometries(g) for g in geometries)),
        "area_vertices": int(sum(shapely.get_num_coordinates(g) for g in geometries)),
        "fsps": len(fsp_rows),
        "products": len(products),
        "users": len(made_users),
        "connection_points": points,
        "spus": points,
        "cases": len(rows_case),
        "assessments": len(rows_a),
        "open_assessments": sum(1 for r in rows_a if r[status_at] in ("pending", "incomplete")),
        "conditions": len(rows_cond),
        "refusals": sum(1 for r in rows_a if r[status_at] == "not_approved"),
        "case_events": len(rows_ev),
    }
    ref.seconds = time.perf_counter() - started
    return ref


def build(
    *, preset: str, database: str = DATABASE_NAME, seed: int = 7, progress: bool = True, **overrides
) -> tuple[str, Reference]:
    """Recreate the reference database, migrate it and generate the preset. Returns (URL, what)."""
    url = database_prepare(name=database)
    django_setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    sizes = preset_sizes(preset) | {k: v for k, v in overrides.items() if v is not None}
    return url, generate(seed=seed, progress=progress, **sizes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", choices=list(PRESETS), default="full")
    parser.add_argument("--points", type=int, help="connection points (one SPU each)")
    parser.add_argument("--cases", type=int, help="cases (three assessments each)")
    parser.add_argument("--database", default=DATABASE_NAME, help="PostgreSQL database to (re)create")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="write the counts and timings here")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    url, ref = build(
        preset=args.preset,
        database=args.database,
        seed=args.seed,
        points=args.points,
        cases=args.cases,
        progress=not args.no_progress,
    )
    counts = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in ref.counts.items())
    print(f"reference data ({args.preset}) in {ref.seconds:.1f} s: {counts}", file=sys.stderr)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {"preset": args.preset, "seconds": ref.seconds, "counts": ref.counts, "url": url}, indent=2
            )
            + "\n"
        )
    print(url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
