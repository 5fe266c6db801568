"""Who may ask the activation check, as which system operator, about which resource, and what of
the answer they may read (SPEC R8 and §4).

SPEC §4: "the activation check answers a caller only for its own SO, and only where that SO
procures the product or assesses the resource". So:

- an SO engineer or viewer asks as its own operator(s); a market platform client as the
  operators it is registered for (MarketPlatformClient.system_operators); an NRA analyst as any
  operator; an FSP user as any operator, about its own organisation's resources only;
- whoever asks, the operator asked as must procure the product or assess the resource (hold an
  assessment on one of its cases for the product); otherwise the resource is not found (404);
- in the answer, names and reasons from other organisations appear only where §4 lets the
  caller read them: an SO (or a platform asking for it) reads its own operators' temporary
  limits, and the conditions of every assessing SO on a case its operator assesses; other
  limits and conditions still bound the answer but are shown without their operator, reason
  or text. NRA analysts read everything; FSPs read what concerns their own resources, which is
  everything the check of their own resource finds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import ProgrammingError, connection

from accounts.selectors import user_roles
from common.db import fetch_all, instance, model_columns
from forecasts.access import platform_registrations_reader_set
from limits.activation.limit_lookup import LIMITS_FOLD_COLUMNS, limits_fold
from observability.models import ConnectionPoint, SystemOperator
from observability.selectors import user_operator_ids
from prequal.models import Case, Product, Spg, Spu
from register.callers import caller_resolver_set
from register.held_partitions import partitions_forget
from register.selectors_held import FOLD_COLUMNS, holdings_fold

PLATFORM, SO, NRA, FSP = "platform", "so", "nra", "fsp"


@dataclass(frozen=True)
class ActivationCaller:
    """Who asks: `kind` (platform, so, nra, fsp), the operators it may ask as (`so_ids`, None:
    any) and, for an FSP, its organisations (`fsp_org_ids`: only their resources)."""

    kind: str
    so_ids: frozenset[int] | None = None
    fsp_org_ids: frozenset[int] | None = None

    def may_ask_as(self, system_operator: SystemOperator) -> bool:
        return self.so_ids is None or system_operator.pk in self.so_ids

    def readable(self, *, case_assessed: bool) -> Readable:
        """What of one answer this caller reads; `case_assessed`: the operator asked as assesses
        the case behind the answer."""
        if self.kind == NRA:
            return EVERYTHING
        if self.kind == FSP:  # everything about its own resource, other FSPs' resources by count
            return EVERYTHING_BUT_HOLDERS
        return Readable(
            so_ids=self.so_ids or frozenset(), all_conditions=case_assessed, holders=self.kind == SO
        )


@dataclass(frozen=True)
class Readable:
    """The operators whose limits and conditions a caller reads in full (None: all), and whether
    it reads every condition of the case (its operator assesses the case), and whether it reads
    who holds the headroom under a point or area limit."""

    so_ids: frozenset[int] | None = None
    all_conditions: bool = True
    # Whether it reads the names of other FSPs' resources holding headroom (SPEC R11: SOs only;
    # the NRA reads everything): limits.activation.headroom.
    holders: bool = True

    def limit(self, limit) -> bool:
        return self.so_ids is None or limit.system_operator_id in self.so_ids

    def condition(self, condition) -> bool:
        return self.so_ids is None or self.all_conditions or condition.so_id in self.so_ids


EVERYTHING = Readable()
EVERYTHING_BUT_HOLDERS = Readable(holders=False)


def activation_caller(*, user) -> ActivationCaller | None:
    """Who this user asks the check as, or None (not allowed: anonymous, no role).

    Market platforms come first: they are the hot path. Their registrations are read once per
    user object (the token cache keeps it a few seconds: limits.authentication).
    """
    if not getattr(user, "is_authenticated", False):
        return None
    cached = getattr(user, "_gridprequal_activation_caller", None)
    if cached is None:
        cached = user._gridprequal_activation_caller = _caller(user) or False
    return cached or None


def _caller(user) -> ActivationCaller | None:
    registered = _platform_registrations(user)
    if registered is not None:
        return ActivationCaller(kind=PLATFORM, so_ids=registered)
    roles = user_roles(user=user)
    if roles.is_so:
        return ActivationCaller(kind=SO, so_ids=user_operator_ids(user=user))
    if roles.sees_everything:
        return ActivationCaller(kind=NRA)
    if roles.is_fsp:
        return ActivationCaller(kind=FSP, fsp_org_ids=frozenset(roles.fsp_org_ids))
    return None


def _platform_registrations(user) -> frozenset[int] | None:
    """The operators an active market platform client is registered for; None if not one."""
    if getattr(user, "_gridprequal_platform", None) is False:  # known from the token lookup
        return None
    rows = fetch_all(
        "SELECT r.systemoperator_id FROM limits_marketplatformclient c "
        "LEFT JOIN limits_marketplatformclient_system_operators r ON r.marketplatformclient_id = c.id "
        "WHERE c.user_id = %s AND c.is_active",
        [user.pk],
    )
    if not rows:
        return None
    return frozenset(so_id for (so_id,) in rows if so_id is not None)


def forecast_readers_register() -> None:
    """Hand forecasts (a layer below) the reader of platform registrations: a client reads the
    forecasts of the operators it is registered for (SPEC §4). From limits' AppConfig.ready()."""
    platform_registrations_reader_set(_platform_registrations)


def register_callers_hand_over() -> None:
    """The register scopes its callers by this module's rule (LimitsConfig.ready; register.callers)."""
    caller_resolver_set(activation_caller)


def activation_system_operators_for_user(*, caller: ActivationCaller):
    """The operators the caller may ask as (the choices of the page's form)."""
    qs = SystemOperator.objects.select_related("organisation")
    if caller.so_ids is not None:
        qs = qs.filter(pk__in=caller.so_ids)
    return qs


_SPU_FIELDS = ("id", "fsp_id", "connection_point_id", "code", "name", "max_up_kw", "max_down_kw", "is_active")
_SPG_FIELDS = ("id", "fsp_id", "code", "name", "is_active")
_CASE_FIELDS = ("id", "status", "round", "valid_until", "previous_outcome")


def activation_resource_for(
    *, caller: ActivationCaller, system_operator: SystemOperator, product: Product, spu_id=None, spg_id=None,
    holdings_period: tuple[datetime, datetime] | None = None,
) -> Spu | Spg | None:
    """The SPU (with its point's id and location) or SPG the caller may check as
    `system_operator` for `product`, or None: unknown, not the FSP's own, or an operator that
    neither procures the product nor assesses the resource (SPEC §4; the caller gets 404).

    The resource's cases for the product come in the same query (newest first), each with
    whether `system_operator` assesses it, kept on the resource as `prefetched_cases` (read by
    limits.activation) and `assessed_cases`. One prepared statement (common.db.fetch_all): this
    runs on every activation check (SPEC §7).

    With `holdings_period` (start, end), on PostgreSQL, the same statement also reads what the
    register holds for the resource in that period (register.selectors_held.holdings_fold), kept
    as `prefetched_holdings` ((start, end), holdings) for the double-activation rule
    (limits.activation.double): one statement less per check. Not for a reservation, which reads
    them under its locks. For an SPU it also reads the temporary limits overlapping that period
    on the SPU, its point or an area around it (limits.activation.limit_lookup.limits_fold), kept
    as `prefetched_limits` ((start, end), limits) for the check: another statement less.
    """
    model, fields = (Spu, _SPU_FIELDS) if spu_id is not None else (Spg, _SPG_FIELDS)
    sql, columns, scope_params = _resource_sql(model, fields, caller)
    resource_id = spu_id if model is Spu else spg_id
    fold = lfold = None
    if holdings_period is not None and holdings_period[0] < holdings_period[1]:
        start, end = holdings_period
        fold = holdings_fold(resource=(model.__name__.lower(), resource_id), start=start, end=end)
        if model is Spu and isinstance(resource_id, int):
            lfold = limits_fold(spu_id=resource_id, start=start, end=end)
    params = [system_operator.pk, product.pk, resource_id, *scope_params]
    rows, held_values, limit_values = _resource_rows(sql, params, columns=columns, fold=fold, lfold=lfold)
    if not rows:
        return None
    width = len(fields) + (2 if model is Spu else 0)
    cases = [row[width:] for row in rows if row[width] is not None]
    assessed = {case[0] for case in cases if case[-1]}
    if product.procuring_so_id != system_operator.pk and not assessed:
        return None
    resource = instance(model, fields, rows[0][: len(fields)])
    if model is Spu:
        resource.cp_lon, resource.cp_lat = rows[0][len(fields) : width]
    resource.prefetched_cases = (
        product.pk,
        [(pk, status, round_, previous or "", until) for pk, status, round_, until, previous, _a in cases],
    )
    resource.assessed_cases = assessed
    if held_values is not None:
        held = fold.holdings(held_values)
        if held is not None:
            resource.prefetched_holdings = (holdings_period, held)
    if limit_values is not None:
        resource.prefetched_limits = (holdings_period, lfold.limits(limit_values))
    return resource


def _resource_rows(
    sql: str, params: list, *, columns: list, fold, lfold
) -> tuple[list, list | None, list | None]:
    """(the resource statement's rows, the values of the holdings folded into it or None, those
    of the limits or None): a fold's WITH item (register.selectors_held.holdings_fold,
    limits.activation.limit_lookup.limits_fold) opens the statement and its columns come first;
    the statement runs without them if that fails because a named partition was dropped meanwhile."""
    items, selected, item_params, joins = [], [], [], ""
    if fold is not None:
        items.append(fold.with_.removeprefix("WITH "))
        selected += FOLD_COLUMNS
        item_params += fold.params
        joins += " CROSS JOIN h"
    if lfold is not None:
        items.append(lfold.cte)
        selected += LIMITS_FOLD_COLUMNS
        item_params += lfold.params
        joins += " CROSS JOIN lim"
    if items:
        folded = sql.replace(" JOIN prequal_fsp f", f"{joins} JOIN prequal_fsp f", 1).replace(
            "SELECT ", f"WITH {', '.join(items)}SELECT {', '.join(selected)}, ", 1
        )
        width = len(selected)
        try:
            rows = fetch_all(folded, [*item_params, *params], columns=[None] * width + columns)
        except ProgrammingError:  # a partition named was dropped (retention) since the set was learnt
            if connection.in_atomic_block:
                raise
            partitions_forget()
        else:
            if not rows:
                return [], None, None
            first = rows[0][:width]
            held = first[: len(FOLD_COLUMNS)] if fold is not None else None
            limits = first[width - len(LIMITS_FOLD_COLUMNS) :] if lfold is not None else None
            return [row[width:] for row in rows], held, limits
    return fetch_all(sql, params, columns=columns), None, None


def _resource_sql(model, fields: tuple[str, ...], caller: ActivationCaller) -> tuple[str, list, list]:
    """(activation_resource_for's statement, its columns' fields, the caller's scope parameters)."""
    columns = [*model_columns(model, fields)]
    select = ", ".join(f"s.{name}" for name in fields)
    point_join = ""
    if model is Spu:
        columns += model_columns(ConnectionPoint, ("longitude", "latitude"))
        select += ", cp.longitude, cp.latitude"
        point_join = " JOIN observability_connectionpoint cp ON cp.id = s.connection_point_id"
    columns += [*model_columns(Case, _CASE_FIELDS), None]
    select += ", " + ", ".join(f"c.{name}" for name in _CASE_FIELDS)
    select += (
        ", EXISTS(SELECT 1 FROM prequal_assessment a WHERE a.case_id = c.id AND a.system_operator_id = %s)"
    )
    column = "spu_id" if model is Spu else "spg_id"
    scope, scope_params = "", []
    if caller.fsp_org_ids is not None:
        orgs = sorted(caller.fsp_org_ids)
        scope = f" AND f.organisation_id IN ({', '.join(['%s'] * len(orgs))})" if orgs else " AND 1 = 0"
        scope_params = orgs
    sql = (
        f"SELECT {select} FROM {model._meta.db_table} s{point_join} JOIN prequal_fsp f ON f.id = s.fsp_id"
        f" LEFT JOIN prequal_case c ON c.{column} = s.id AND c.product_id = %s"
        f" WHERE s.id = %s{scope} ORDER BY c.id DESC LIMIT 20"
    )
    return sql, columns, scope_params
