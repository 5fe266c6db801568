"""Connection-point pages that show prequal's side of a point: the units at it, and who
assesses it for a product (SPEC R1). Their URLs stay under /grid/ beside observability's pages.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from observability.maps import MAP_SIMPLIFY_DEG, area_feature, map_settings, point_features
from observability.selectors import connection_point_get_for_user
from prequal.selectors.points import assessing_so_rows
from prequal.selectors.resources import product_by_code, product_list, spu_list_for_user


@login_required
def connection_point_detail(request: HttpRequest, pk: int) -> HttpResponse:
    point = connection_point_get_for_user(user=request.user, pk=pk)
    spus = spu_list_for_user(user=request.user).filter(connection_point=point).order_by("code")
    return render(request, "prequal/connection_point_detail.html", {"point": point, "spus": spus})


@login_required
@require_GET
def connection_point_assessing_sos(request: HttpRequest, pk: int) -> HttpResponse:
    """Who assesses this connection point, and why (SPEC R1)."""
    point = connection_point_get_for_user(user=request.user, pk=pk)
    product = product_by_code(code=request.GET.get("product") or "", active_only=True)
    rows = assessing_so_rows(
        points=[point], procuring_so=product.procuring_so if product else None, user=request.user
    )[point.pk]
    areas = {area.pk: area for row in rows for area in row["areas"]}
    features = [area_feature(a, simplify=MAP_SIMPLIFY_DEG) for a in areas.values()]
    features += point_features([point])
    return render(
        request,
        "prequal/assessing_sos.html",
        {
            "point": point,
            "rows": rows,
            "products": product_list(),
            "product": product,
            "map_config": {
                **map_settings(),
                "data": {"type": "FeatureCollection", "features": features},
                "focus": "point",
            },
        },
    )
