from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from xinli.accounts.views import healthz
from xinli.archives import transfer_views
from xinli.core import views as core_views
from xinli.field import views as field_views
from xinli.regions import views as region_views
from xinli.web import views as web_views

urlpatterns = [
    path("", web_views.home, name="home"),
    path("accounts/security/devices/", field_views.devices_view, name="field_devices"),
    path("field/", field_views.field_app, name="field_app"),
    path("field/manifest.webmanifest", field_views.field_manifest, name="field_manifest"),
    path("field/sw.js", field_views.field_service_worker, name="field_sw"),
    path("accounts/", include("xinli.accounts.urls")),
    path("org/", region_views.browser, name="org_browser"),
    path("org/<int:pk>/", region_views.browser, name="org_unit"),
    path("persons/", include("xinli.archives.urls")),
    path("transfers/", transfer_views.transfer_list, name="transfer_list"),
    path("transfers/<int:pk>/", transfer_views.transfer_detail, name="transfer_detail"),
    path("transfers/city/", transfer_views.city_transfers, name="city_transfers"),
    path("transfers/city/<int:pk>/", transfer_views.city_export, name="city_export"),
    path("audit/", web_views.audit_log, name="audit_log"),
    path("network/", web_views.network_coverage, name="network_coverage"),
    path("smd/indicators/", web_views.smd_indicators, name="smd_indicators"),
    path("", include("xinli.screening.urls")),
    path("", include("xinli.alerts.urls")),
    path("", include("xinli.hotline.urls")),
    path("", include("xinli.smd.urls")),
    path("", include("xinli.network.urls")),
    path("", include("xinli.portal.urls")),
    path("", include("xinli.outreach.urls")),
    path("", include("xinli.counselling.urls")),
    path("", include("xinli.indicators.urls")),
    path("", include("xinli.reports.urls")),
    path("", include("xinli.imports.urls")),
    path("", include("xinli.governance.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="jsi18n"),
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include("xinli.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]

handler400 = core_views.bad_request
handler403 = core_views.permission_denied
handler404 = core_views.page_not_found
handler500 = core_views.server_error
