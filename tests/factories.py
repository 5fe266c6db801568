"""factory_boy factories for the domain graph. Identifiers come out valid (EIC, GSRN)."""

from __future__ import annotations

import itertools
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import Membership, Organisation, User
from common.validators import eic_check_char, gs1_check_digit
from observability.models import ConnectionPoint, SystemOperator
from observability.readers import connection_point_readers_refresh
from prequal.models import Direction, Fsp, Product, Spg, SpgMembership, Spu
from prequal.services.readers import resource_readers_refresh

_eic_counter = itertools.count(1)
_gsrn_counter = itertools.count(1)


def make_eic(prefix: str = "10X") -> str:
    """A fresh valid EIC party code (skipping bodies whose check would be '-')."""
    while True:
        body = f"{prefix}TEST{next(_eic_counter):08d}"[:15]
        check = eic_check_char(body)
        if check != "-":
            return body + check


def make_gsrn() -> str:
    payload = f"73599{next(_gsrn_counter):012d}"
    return payload + gs1_check_digit(payload)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("pw-for-tests-1")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = Organisation.Kind.SYSTEM_OPERATOR
    eic_code = factory.LazyFunction(make_eic)


class SystemOperatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SystemOperator

    organisation = factory.SubFactory(
        OrganisationFactory,
        kind=Organisation.Kind.SYSTEM_OPERATOR,
        name=factory.Sequence(lambda n: f"Grid operator {n}"),
    )
    tier = SystemOperator.Tier.LOCAL_DSO
    upstream = None


class FspFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Fsp

    organisation = factory.SubFactory(
        OrganisationFactory, kind=Organisation.Kind.FSP, name=factory.Sequence(lambda n: f"FSP {n}")
    )


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Membership.Role.SO_ENGINEER


class ConnectionPointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConnectionPoint

    gsrn = factory.LazyFunction(make_gsrn)
    connecting_so = factory.SubFactory(SystemOperatorFactory)
    latitude = 59.3293
    longitude = 18.0686
    voltage_level = ConnectionPoint.VoltageLevel.LV
    bidding_zone = "SE3"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        point = super()._create(model_class, *args, **kwargs)
        # as observability.services.connection_point_get_or_create does
        connection_point_readers_refresh(points=ConnectionPoint.objects.filter(pk=point.pk))
        return point


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    code = factory.Sequence(lambda n: f"product-{n}")
    name = factory.Sequence(lambda n: f"Product {n}")
    kind = Product.Kind.BALANCING
    procuring_so = factory.SubFactory(SystemOperatorFactory, tier=SystemOperator.Tier.TSO)
    directions = Direction.BOTH
    market_time_unit_minutes = 15
    gate_closure_minutes = 45


class SpuFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Spu

    fsp = factory.SubFactory(FspFactory)
    connection_point = factory.SubFactory(ConnectionPointFactory)
    code = factory.Sequence(lambda n: f"SPU-{n:05d}")
    name = factory.Sequence(lambda n: f"Battery {n}")
    technology = Spu.Technology.BATTERY
    max_up_kw = Decimal("500")
    max_down_kw = Decimal("500")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        spu = super()._create(model_class, *args, **kwargs)
        resource_readers_refresh(spu_ids=[spu.pk])  # as prequal.services.resources.spu_create does
        return spu


class SpgFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Spg

    fsp = factory.SubFactory(FspFactory)
    code = factory.Sequence(lambda n: f"SPG-{n:04d}")
    name = factory.Sequence(lambda n: f"Group {n}")
    bidding_zone = "SE3"


class SpgMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SpgMembership

    spg = factory.SubFactory(SpgFactory)
    spu = factory.SubFactory(SpuFactory)
    valid_from = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        membership = super()._create(model_class, *args, **kwargs)
        # as prequal.services.resources.spg_member_add does
        resource_readers_refresh(spu_ids=[membership.spu_id], spg_ids=[membership.spg_id])
        return membership


def make_area(*, system_operator, geometry, valid_from=None):
    """Store an observability-area version from a WGS84 shapely (Multi)Polygon."""
    from datetime import UTC, datetime

    from observability.area_geometry import area_geometry_from_shape
    from observability.services import area_version_import

    return area_version_import(
        system_operator=system_operator,
        area=area_geometry_from_shape(geometry=geometry, source_filename="test.geojson"),
        valid_from=valid_from or datetime(2020, 1, 1, tzinfo=UTC),
    )
