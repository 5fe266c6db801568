from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from accounts import views as accounts_views
from common import views as common_views
from dashboards import views as dashboard_views

api_patterns = [
    path("", include("observability.api_urls")),
    path("", include("prequal.api_urls")),
    path("", include("forecasts.api_urls")),
    path("", include("register.api_urls")),
    path("", include("limits.api_urls")),
    path("", include("notices.api_urls")),
    path("", include("attachments.api_urls")),
    path("", include("reports.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
]

urlpatterns = [
    path("", dashboard_views.home, name="home"),
    path("healthz", common_views.healthz, name="healthz"),
    path("favicon.ico", common_views.favicon, name="favicon"),
    path("accounts/login/", accounts_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", accounts_views.language_set, name="set_language"),
    path("admin/", admin.site.urls),
    path("api/", include((api_patterns, "api"))),
    path("grid/", include("observability.urls")),
    path("", include("prequal.urls")),  # /resources/ and two pages of a point under /grid/
    path("resources/", include("reports.urls")),  # the annual report keeps its /resources/report/
    path("limits/", include("limits.urls")),
    path("forecasts/", include("forecasts.urls")),
    path("notifications/", include("notices.urls")),
    path("register/", include("register.urls")),
    path("resources/", include("attachments.urls")),
]

# JSON error answers under /api/ (DEBUG=false); the usual pages elsewhere.
handler400 = "common.views.bad_request"
handler404 = "common.views.not_found"
handler500 = "common.views.server_error"

admin.site.site_header = "gridprequal"
admin.site.site_title = "gridprequal admin"

