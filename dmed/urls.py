from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from dmed import csp, health

# The API and FHIR first: integrations call them many times a second, and Django tries
# patterns in order, so behind every page's pattern their resolving was a seventh of a
# card read.
urlpatterns = [
    path("api/v1/", include([
        path("", include("dmed.api.urls")),
        path("", include("patients.urls_api")),
        path("", include("queues.urls_api")),
        path("", include("prescriptions.urls_api")),
        path("", include("pharmacy_sync.urls_api")),
        path("", include("clinics.labs.urls_api")),
        path("", include("clinics.referrals.urls_api")),
        path("", include("clinics.urls_api")),
    ])),
    # The FHIR R5 interface and the OAuth 2.0 token endpoint its clients use.
    path("fhir/", include("fhir.urls")),
    path("o/", include("fhir.urls_oauth")),
    path("", include("home.urls")),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(),
         name="password_change_done"),
    path("", include("patients.urls")),
    path("", include("fhir.urls_apps")),
    path("", include("notifications.urls")),
    path("", include("pharmacy_sync.urls")),
    path("", include("queues.urls")),
    path("", include("prescriptions.urls")),
    path("", include("clinics.labs.urls")),
    path("", include("clinics.referrals.urls")),
    path("", include("clinics.timeline.urls")),
    path("", include("clinics.urls")),
    path("", include("registry.urls")),
    path("", include("mch.urls")),
    path("patronage/", include("patronage.urls")),
    path("", include("inbox.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file, not inline (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(
        url_name="api-schema", template_name="dmed/api_docs.html"), name="api-docs"),
    path("csp-report/", csp.report, name="csp-report"),
]

handler400 = "dmed.views.bad_request"
handler403 = "dmed.views.permission_denied"
handler404 = "dmed.views.page_not_found"
handler500 = "dmed.views.server_error"
