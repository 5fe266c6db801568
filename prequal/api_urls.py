"""Mounted under /api/ with namespace "api" (config/urls.py)."""

from django.urls import path

from accounts.apis import AuthTokenObtainApi
from prequal.apis import assessments, cases, points, products, spgs, spus

urlpatterns = [
    path("auth/token/", AuthTokenObtainApi.as_view(), name="auth-token"),
    path("spus/", spus.SpuListCreateApi.as_view(), name="spu-list"),
    path("spus/<int:pk>/", spus.SpuDetailApi.as_view(), name="spu-detail"),
    path("spus/<int:pk>/deactivate/", spus.SpuDeactivateApi.as_view(), name="spu-deactivate"),
    path("spgs/", spgs.SpgListCreateApi.as_view(), name="spg-list"),
    path("spgs/<int:pk>/", spgs.SpgDetailApi.as_view(), name="spg-detail"),
    path("spgs/<int:pk>/deactivate/", spgs.SpgDeactivateApi.as_view(), name="spg-deactivate"),
    path("spgs/<int:pk>/members/", spgs.SpgMemberListCreateApi.as_view(), name="spg-members"),
    path(
        "spgs/<int:pk>/members/<int:membership_id>/end/",
        spgs.SpgMemberEndApi.as_view(),
        name="spg-member-end",
    ),
    path("products/", products.ProductListApi.as_view(), name="product-list"),
    path("products/<int:pk>/", products.ProductDetailApi.as_view(), name="product-detail"),
    # Who assesses connection points, for a product (issue 3; prequal.apis.points)
    path("assessing-sos/", points.AssessingSosApi.as_view(), name="assessing-sos"),
    path(
        "connection-points/<int:pk>/assessing-sos/",
        points.ConnectionPointAssessingSosApi.as_view(),
        name="connection-point-assessing-sos",
    ),
    # Grid prequalification workflow (prequal.apis.cases, the SO side in prequal.apis.assessments)
    path("cases/", cases.CaseListCreateApi.as_view(), name="case-list"),
    path("cases/<int:pk>/", cases.CaseDetailApi.as_view(), name="case-detail"),
    path("cases/<int:pk>/assessing-sos/", cases.CasePreviewApi.as_view(), name="case-assessing-sos"),
    path("cases/<int:pk>/submit/", cases.CaseSubmitApi.as_view(), name="case-submit"),
    path("cases/<int:pk>/withdraw/", cases.CaseWithdrawApi.as_view(), name="case-withdraw"),
    path(
        "cases/<int:pk>/supply-information/",
        cases.CaseSupplyInformationApi.as_view(),
        name="case-supply-information",
    ),
    path("queue/", assessments.AssessmentQueueApi.as_view(), name="assessment-queue"),
    path("assessments/<int:pk>/", assessments.AssessmentDetailApi.as_view(), name="assessment-detail"),
    path("assessments/<int:pk>/decide/", assessments.AssessmentDecideApi.as_view(), name="assessment-decide"),
    path(
        "assessments/<int:pk>/declare-incomplete/",
        assessments.AssessmentDeclareIncompleteApi.as_view(),
        name="assessment-declare-incomplete",
    ),
]
