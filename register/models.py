"""The activation register (SPEC R11): what market platforms have awarded and activated.

A platform's record is a RegisterRecord (who sent it, for which system operator, under which
external id); its content lives in RecordRevision rows, one per change, the current one marked
(`is_current`). A revision is never changed afterwards but for that mark. Every write belongs to
a RegisterBatch: the audit row naming the person or token that wrote it.

On PostgreSQL, RecordRevision is partitioned by month of `period_start` (migration 0001; the
`register_partitions` command adds months ahead). Its primary key there is (id, period_start),
as partitioning requires; Django knows only `id`, which the table's sequence keeps unique.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from observability.models import SystemOperator
from prequal.models import Direction, Product, Spg, Spu


class RecordKind(models.TextChoices):
    AWARD = "award", _("Award")
    ACTIVATION = "activation", _("Activation")


class RecordStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CANCELLED = "cancelled", _("Cancelled")


class ImmutableRegisterError(Exception):
    """Raised on an attempt to change or delete an audit row of the register."""


class _ImmutableQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableRegisterError(_("The register's audit trail cannot be changed."))

    def delete(self):
        raise ImmutableRegisterError(_("The register's audit trail cannot be deleted."))


class _AuditRow(models.Model):
    """A row of the register's audit trail: saving it again, deleting it, or a queryset update
    or delete raise ImmutableRegisterError."""

    objects = _ImmutableQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ImmutableRegisterError(_("The register's audit trail cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRegisterError(_("The register's audit trail cannot be deleted."))


class RegisterBatch(_AuditRow):
    """One write to the register (a batch, a revision, a cancellation): who, when, for which
    SO, and how many records it created, revised, cancelled or found unchanged. Immutable."""

    class Action(models.TextChoices):
        INGEST = "ingest", _("Records sent")
        CANCEL = "cancel", _("Records cancelled")
        # An award registered by the activation check's reservation (limits.activation.reserve).
        RESERVE = "reserve", _("Reserved by the activation check")

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    system_operator = models.ForeignKey(SystemOperator, models.PROTECT, related_name="+")
    action = models.CharField(_("action"), max_length=8, choices=Action.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)
    received = models.PositiveIntegerField(_("records received"), default=0)
    created = models.PositiveIntegerField(_("records created"), default=0)
    revised = models.PositiveIntegerField(_("records revised"), default=0)
    cancelled = models.PositiveIntegerField(_("records cancelled"), default=0)
    unchanged = models.PositiveIntegerField(_("records unchanged"), default=0)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["system_operator", "at"], name="register_batch_so_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} ({self.received})"


class RegisterRecord(models.Model):
    """A platform's record: its identity. The sender (the market platform client's user, or the
    SO engineer) and the operator it was sent for scope the external id: the same id sent
    again by the same sender for the same operator is the same record."""

    sender = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    system_operator = models.ForeignKey(
        SystemOperator, models.PROTECT, related_name="register_records", verbose_name=_("system operator")
    )
    external_id = models.CharField(_("external id"), max_length=100)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "system_operator", "external_id"], name="register_record_external_id"
            )
        ]

    def __str__(self) -> str:
        return self.external_id


class RecordRevision(models.Model):
    """One revision of a record: an award (capacity reserved over the period) or an activation
    (energy in each market time unit of the period) of exactly one SPU or SPG, in MW.

    The period is in UTC and aligned to the product's market time unit. A cancellation is a
    revision with status `cancelled` and the content it cancels.
    """

    record = models.ForeignKey(RegisterRecord, models.PROTECT, related_name="revisions", db_index=False)
    revision = models.PositiveIntegerField(_("revision"))
    is_current = models.BooleanField(_("current"), default=True)
    status = models.CharField(_("status"), max_length=10, choices=RecordStatus.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=RecordKind.choices)
    # The foreign keys' own indexes are left out (db_index=False): the partial indexes below serve
    # every read, and each index more slows the ingest.
    spu = models.ForeignKey(
        Spu, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("SPU"), db_index=False
    )
    spg = models.ForeignKey(
        Spg, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("SPG"), db_index=False
    )
    product = models.ForeignKey(
        Product, models.PROTECT, related_name="+", verbose_name=_("product"), db_index=False
    )
    direction = models.CharField(_("direction"), max_length=4, choices=Direction.choices)
    quantity_mw = models.DecimalField(_("quantity (MW)"), max_digits=10, decimal_places=3)
    period_start = models.DateTimeField(_("start"))
    period_end = models.DateTimeField(_("end"))
    batch = models.ForeignKey(RegisterBatch, models.PROTECT, related_name="revisions", db_index=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["period_start", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(spu__isnull=False, spg__isnull=True)
                | models.Q(spu__isnull=True, spg__isnull=False),
                name="register_revision_one_resource",
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gt=models.F("period_start")), name="register_revision_period"
            ),
            models.CheckConstraint(
                condition=models.Q(quantity_mw__gt=0), name="register_revision_quantity_positive"
            ),
        ]
        # What is held at an SPU or SPG (or the SPUs at some points) in some market time units:
        # the double-activation check and the SO's and FSP's views. Only current, active rows.
        indexes = [
            models.Index(
                fields=["spu", "period_start", "period_end"],
                name="register_held_spu",
                condition=models.Q(is_current=True, status="active", spu__isnull=False),
            ),
            models.Index(
                fields=["spg", "period_start", "period_end"],
                name="register_held_spg",
                condition=models.Q(is_current=True, status="active", spg__isnull=False),
            ),
            models.Index(fields=["record", "revision"], name="register_revision_record"),
            models.Index(
                fields=["record"], name="register_current_record", condition=models.Q(is_current=True)
            ),
            models.Index(fields=["batch"], name="register_revision_batch"),
            # Lists (the API, newest first): a page off the index, not a sort of the register.
            models.Index(
                fields=["period_start", "id"], name="register_current_start",
                condition=models.Q(is_current=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity_mw} MW {self.direction} rev {self.revision}"

    @property
    def resource(self) -> Spu | Spg:
        return self.spu if self.spu_id else self.spg


class RegisterConflict(_AuditRow):
    """A registration refused as a double activation (SPEC R11): kept, though its batch was not,
    so the FSP and both operators see it on the resource's page. Immutable.

    `holder_*` name the first holder the refusal named: its operator, product, and its record
    (empty when the holder was an earlier record of the same refused batch)."""

    class Reason(models.TextChoices):
        CAPACITY = "capacity", _("More than the resource's capacity")
        BOTH_WAYS = "both_ways", _("Activated both up and down")

    at = models.DateTimeField(_("at"), default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    system_operator = models.ForeignKey(SystemOperator, models.PROTECT, related_name="+")
    external_id = models.CharField(_("external id"), max_length=100)
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    spu = models.ForeignKey(Spu, models.PROTECT, null=True, blank=True, related_name="+", db_index=False)
    spg = models.ForeignKey(Spg, models.PROTECT, null=True, blank=True, related_name="+", db_index=False)
    kind = models.CharField(_("kind"), max_length=10, choices=RecordKind.choices)
    product = models.ForeignKey(Product, models.PROTECT, related_name="+", db_index=False)
    direction = models.CharField(_("direction"), max_length=4, choices=Direction.choices)
    quantity_mw = models.DecimalField(_("quantity (MW)"), max_digits=10, decimal_places=3)
    # The market time units where it collided with the first holder (UTC).
    overlap_start = models.DateTimeField(_("from"))
    overlap_end = models.DateTimeField(_("until"))
    holder_system_operator = models.ForeignKey(SystemOperator, models.PROTECT, related_name="+")
    holder_product = models.ForeignKey(Product, models.PROTECT, related_name="+", db_index=False)
    holder_record = models.ForeignKey(
        RegisterRecord, models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(
                fields=["spu", "-at"], name="register_conflict_spu", condition=models.Q(spu__isnull=False)
            ),
            models.Index(
                fields=["spg", "-at"], name="register_conflict_spg", condition=models.Q(spg__isnull=False)
            ),
            # Retention removes records a conflict does not name; without it, each removed record's
            # foreign-key check would read every conflict.
            models.Index(
                fields=["holder_record"], name="register_conflict_holder",
                condition=models.Q(holder_record__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.reason} {self.external_id}"


class RegisterSummary(models.Model):
    """The register's rollup (register.services.rollup): per operator, product, kind, direction
    and month of the start (the first day, in settings.TIME_ZONE: the annual report's months),
    the current, active records' count, their kW and kW × minutes (exact integers: MW have three
    decimals and periods are whole minutes). Kept at every write; the annual report reads it
    alone, and retention removes detail only, so the year reads the same before and after."""

    system_operator = models.ForeignKey(
        SystemOperator, models.PROTECT, related_name="+", verbose_name=_("system operator")
    )
    product = models.ForeignKey(Product, models.PROTECT, related_name="+", verbose_name=_("product"))
    kind = models.CharField(_("kind"), max_length=10, choices=RecordKind.choices)
    direction = models.CharField(_("direction"), max_length=4, choices=Direction.choices)
    month = models.DateField(_("month"))
    # Signed: a write adds and subtracts in one statement (INSERT … ON CONFLICT DO UPDATE).
    records = models.BigIntegerField(_("records"), default=0)
    kw = models.BigIntegerField(_("kW"), default=0)
    kw_minutes = models.BigIntegerField(_("kW × minutes"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["month", "system_operator", "product", "kind", "direction"]
        constraints = [
            models.UniqueConstraint(
                fields=["system_operator", "product", "kind", "direction", "month"],
                name="register_summary_key",
            )
        ]
        indexes = [models.Index(fields=["month", "system_operator"], name="register_summary_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.kind} {self.direction} ({self.records})"


class GridSlot(models.Model):
    """My grid's summary (register.services.grid_slots): per system operator, 15-minute slot
    (UTC start), kind and direction (up or down; a record both ways counts in each), the kW ×
    minutes that the current, active records on the SPUs and SPGs the operator reads hold in the
    slot (exact integers: MW have three decimals and periods are whole minutes). Kept at every
    register write and every change of who reads a resource, in the same transaction; the page's
    chart reads a few hundred rows of it whatever the register's size."""

    system_operator = models.ForeignKey(SystemOperator, models.CASCADE, related_name="+", db_index=False)
    slot = models.DateTimeField(_("slot"))
    kind = models.CharField(_("kind"), max_length=10, choices=RecordKind.choices)
    direction = models.CharField(_("direction"), max_length=4, choices=Direction.choices)
    # Signed while a write adds and subtracts in one statement (INSERT … ON CONFLICT DO UPDATE).
    kw_minutes = models.BigIntegerField(_("kW × minutes"), default=0)

    class Meta:
        ordering = ["system_operator", "slot", "kind", "direction"]
        constraints = [
            # Also the read's index: one operator's slots of a window are one range of it.
            models.UniqueConstraint(
                fields=["system_operator", "slot", "kind", "direction"], name="register_grid_slot_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.slot:%Y-%m-%d %H:%M} {self.kind} {self.direction} ({self.kw_minutes})"


class GridHolding(models.Model):
    """My grid's map and unit filter (register.services.grid_holdings): per system operator, the
    current, active records on the SPUs it reads, each with the unit's connection point as the
    operator's reader row names it. Kept at every register write, every change of who reads a
    unit and the retention, in the same transaction; the page ranks the points holding the most
    MW in its window from one operator's rows of the window (one range of one index, read from
    the index alone), not from the records of every unit in the area joined to its readers."""

    pk = models.CompositePrimaryKey("record_id", "system_operator_id")
    # Plain ids, no foreign keys: the rows follow the records and reader rows (no checks per row
    # at ingest); the retention and the reader changes remove them in the same transaction.
    record_id = models.BigIntegerField()
    system_operator = models.ForeignKey(SystemOperator, models.CASCADE, related_name="+", db_index=False)
    spu_id = models.BigIntegerField(_("SPU"))
    connection_point_id = models.BigIntegerField(_("connection point"))
    quantity_mw = models.DecimalField(_("quantity (MW)"), max_digits=10, decimal_places=3)
    period_start = models.DateTimeField(_("start"))
    period_end = models.DateTimeField(_("end"))

    class Meta:
        indexes = [
            # The page's read: one operator's rows ending after the window's start (the next 48
            # hours: only what is still running or to come), from the index alone on PostgreSQL.
            models.Index(
                fields=["system_operator", "period_end"],
                include=["period_start", "spu_id", "connection_point_id", "quantity_mw"],
                name="register_grid_holding_read",
            ),
        ]

    def __str__(self) -> str:
        return f"operator {self.system_operator_id}: record {self.record_id} on SPU {self.spu_id}"


class HeldPoint(models.Model):
    """Where and when the register's current, active records are held (SPEC R11, PostgreSQL): one
    row per record at each point it is held, the headroom of an area limit read off one GiST
    index on (point, period) (register.selectors_held.held_in_box), so its cost follows what is
    held there and then rather than the number of units in the area.

    An SPU's record is held at the unit's connection point (`membership_id` 0); an SPG's record at
    each member's, one row per membership covering some of the record's period. Kept in step by
    register.services.held_points at every register write, membership change, unit move and the
    retention, in the same transaction; PostgreSQL only (SQLite reads the records)."""

    pk = models.CompositePrimaryKey("record_id", "spu_id", "membership_id")
    # Plain ids, no foreign keys (no checks per row at ingest): the services keep the rows.
    record_id = models.BigIntegerField()
    spu_id = models.BigIntegerField(_("SPU"))  # the unit held at the point: the SPU, or the member
    membership_id = models.BigIntegerField(_("membership"))  # 0 for an SPU's own record
    spg_id = models.BigIntegerField(_("SPG"), null=True)
    longitude = models.FloatField(_("longitude"))
    latitude = models.FloatField(_("latitude"))
    kind = models.CharField(_("kind"), max_length=10, choices=RecordKind.choices)
    direction = models.CharField(_("direction"), max_length=4, choices=Direction.choices)
    quantity_mw = models.DecimalField(_("quantity (MW)"), max_digits=10, decimal_places=3)
    product_id = models.BigIntegerField(_("product"))
    period_start = models.DateTimeField(_("start"))
    period_end = models.DateTimeField(_("end"))

    class Meta:
        # The GiST index on (point(longitude, latitude), tstzrange(period_start, period_end)) is
        # made by migration 0013 on PostgreSQL. These serve the upkeep: a unit that moves, a group
        # whose members change.
        indexes = [
            models.Index(fields=["spu_id"], name="register_held_point_spu"),
            models.Index(
                fields=["spg_id"], name="register_held_point_spg", condition=models.Q(spg_id__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"record {self.record_id} at SPU {self.spu_id} ({self.longitude}, {self.latitude})"
