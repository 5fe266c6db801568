from django.urls import path

from prequal.views import imports, resources

app_name = "prequal"
# A plain list: other areas (CSV import, cases) append their paths below.
urlpatterns = [
    path("spus/", resources.spu_list, name="spu-list"),
    path("spus/new/", resources.spu_create, name="spu-create"),
    path("spus/<int:pk>/", resources.spu_detail, name="spu-detail"),
    path("spus/<int:pk>/edit/", resources.spu_edit, name="spu-edit"),
    path("spus/<int:pk>/deactivate/", resources.spu_deactivate, name="spu-deactivate"),
    path("spgs/", resources.spg_list, name="spg-list"),
    path("spgs/new/", resources.spg_create, name="spg-create"),
    path("spgs/<int:pk>/", resources.spg_detail, name="spg-detail"),
    path("spgs/<int:pk>/edit/", resources.spg_edit, name="spg-edit"),
    path("spgs/<int:pk>/deactivate/", resources.spg_deactivate, name="spg-deactivate"),
    path("spgs/<int:pk>/members/add/", resources.spg_member_add, name="spg-member-add"),
    path(
        "spgs/<int:pk>/members/<int:membership_pk>/end/",
        resources.spg_member_end,
        name="spg-member-end",
    ),
    path("products/", resources.product_list, name="product-list"),
    path("import/", imports.spu_import, name="import"),
    path("import/template.csv", imports.spu_import_template, name="import-template"),
]

# Grid prequalification cases: FSP applications, the SO queue, decisions.
from prequal.views import cases as case_views  # noqa: E402

urlpatterns += [
    path("cases/", case_views.case_list, name="case-list"),
    path("cases/new/", case_views.case_create, name="case-create"),
    path("cases/<int:pk>/", case_views.case_detail, name="case-detail"),
    path("cases/<int:pk>/submit/", case_views.case_submit, name="case-submit"),
    path("cases/<int:pk>/delete/", case_views.case_delete, name="case-delete"),
    path("cases/<int:pk>/withdraw/", case_views.case_withdraw, name="case-withdraw"),
    path("cases/<int:pk>/supply/", case_views.case_supply_information, name="case-supply-information"),
    path("queue/", case_views.queue, name="queue"),
    path("assessments/<int:pk>/decide/", case_views.assessment_decide, name="assessment-decide"),
    path(
        "assessments/<int:pk>/incomplete/",
        case_views.assessment_declare_incomplete,
        name="assessment-declare-incomplete",
    ),
]
