"""Who is asking, as far as the network can tell, and the answer to a locked-out log-in.

The client's address keys the log-in lock-out (django-axes) and the token endpoint's throttle.
A client writes its own `X-Forwarded-For`: it is read only behind reverse proxies the operator
has declared (settings.PROXY_COUNT, from GRIDPREQUAL_PROXY_COUNT), and then only the entry the
outermost trusted proxy added. Otherwise rotating that header would reset every limit.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

API_PREFIX = "/api/"


def client_address(request: HttpRequest) -> str:
    """The address of the client: REMOTE_ADDR, or behind PROXY_COUNT proxies the address the
    outermost of them received the request from (each proxy appends the address it saw, so the
    last PROXY_COUNT entries of X-Forwarded-For are theirs; what lies left of them the client
    may have written)."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not proxies or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    return hops[-proxies] if len(hops) >= proxies else remote


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """429 for a username locked out from this address: JSON under /api/ like every API error,
    the page otherwise; with Retry-After."""
    minutes = math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    message = _(
        "Too many failed log-ins for this username from this address. Try again in %(minutes)d minutes."
    ) % {"minutes": minutes}
    if request.path.startswith(API_PREFIX):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = render(request, "registration/locked_out.html", {"message": message}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response
