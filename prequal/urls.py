from django.urls import include, path

from common.pickers import picker_search_view
from prequal.selectors.pickers import SPG_PICKER, SPU_PICKER
from prequal.views import imports, resources

app_name = "prequal"
# A plain list: other areas (CSV import, cases) append their paths below.
resource_patterns = [
    path("spus/", resources.spu_list, name="spu-list"),
    path("spus/new/", resources.spu_create, name="spu-create"),
    path("spus/<int:pk>/", resources.spu_detail, name="spu-detail"),
    path("spus/<int:pk>/edit/", resources.spu_edit, name="spu-edit"),
    path("spus/<int:pk>/deactivate/", resources.spu_deactivate, name="spu-deactivate"),
    path("spus/picker/", picker_search_view(SPU_PICKER), name="picker-spu"),
    path("spgs/", resources.spg_list, name="spg-list"),
    path("spgs/picker/", picker_search_view(SPG_PICKER), name="picker-spg"),
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

resource_patterns += [
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

# A connection point's page and "who assesses it" (issue 3) show its units and the products'
# procuring SOs, so they are prequal's; their paths stay under /grid/ beside observability's.
from prequal.views import points as point_views  # noqa: E402

grid_patterns = [
    path("connection-points/<int:pk>/", point_views.connection_point_detail, name="connection-point-detail"),
    path(
        "connection-points/<int:pk>/assessing-sos/",
        point_views.connection_point_assessing_sos,
        name="assessing-sos",
    ),
]

urlpatterns = [
    path("resources/", include(resource_patterns)),
    path("grid/", include(grid_patterns)),
]
