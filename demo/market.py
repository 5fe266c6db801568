"""What the demo shows of the market side: a market platform client registered for Svenska
kraftnät (it asks the activation check with its token), and one group approved except a
member (an SPG's mFRR case where the connecting DSO leaves one member out). Idempotent: what
exists is left as it is."""

from __future__ import annotations

from django.db import transaction
from rest_framework.authtoken.models import Token

from accounts.models import Membership, User
from demo import sweden
from limits.models import MarketPlatformClient
from observability.models import SystemOperator
from prequal.models import Assessment, Case, Product, Spg
from prequal.selectors.cases import case_current_members
from prequal.services.cases import assessment_decide, case_create_draft, case_submit

PLATFORM_USERNAME = "platform-nordic-balancing"
GROUP_CODE = sweden.SPGS[0].code
GROUP_PRODUCT = "mfrr-energy"


@transaction.atomic
def demo_market_load() -> dict:
    """The platform client (its token) and the partly approved group's case; created if missing."""
    tso = SystemOperator.objects.get(organisation__name=sweden.TSO.name)
    user = User.objects.filter(username=PLATFORM_USERNAME).first()
    if user is None:  # an API client: it signs in with its token only
        user = User(username=PLATFORM_USERNAME)
        user.set_unusable_password()
        user.full_clean()
        user.save()
    client, _ = MarketPlatformClient.objects.get_or_create(
        user=user, defaults={"name": "Nordic balancing platform (demo)"}
    )
    client.system_operators.add(tso)
    token, _ = Token.objects.get_or_create(user=user)
    return {"token": token.key, "group_case": _group_case()}


def _engineer(so):
    membership = Membership.objects.filter(
        organisation=so.organisation, role=Membership.Role.SO_ENGINEER
    ).select_related("user").order_by("pk").first()
    return membership.user


def _group_case() -> Case | None:
    spg = Spg.objects.filter(code=GROUP_CODE).select_related("fsp").first()
    product = Product.objects.filter(code=GROUP_PRODUCT).first()
    if spg is None or product is None:
        return None
    existing = Case.objects.filter(spg=spg, product=product).first()
    if existing is not None:
        return existing
    fsp_user = Membership.objects.filter(
        organisation=spg.fsp.organisation, role=Membership.Role.FSP_USER
    ).select_related("user").first().user
    case = case_submit(user=fsp_user, case=case_create_draft(user=fsp_user, spg=spg, product=product))
    members = list(case_current_members(case=case).select_related("connection_point"))
    left_out = members[-1]
    assessments = Assessment.objects.filter(case=case, round=case.round).select_related("system_operator")
    for assessment in assessments:
        extra = {}
        if assessment.system_operator_id == left_out.connection_point.connecting_so_id and len(members) > 1:
            extra = {"excluded_members": [left_out.pk], "reason": "Its feeder is fully loaded in winter."}
        assessment_decide(
            user=_engineer(assessment.system_operator), assessment=assessment, outcome="approved", **extra
        )
    return Case.objects.get(pk=case.pk)
