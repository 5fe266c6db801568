from django.urls import path

from prequal.views import resources

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
]
