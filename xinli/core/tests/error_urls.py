"""The project's routes plus views that fail, for the error-page tests (handlers come from xinli.urls)."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.urls import path

from xinli.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401


def _boom(request):
    raise RuntimeError("boom")


def _denied(request):
    raise PermissionDenied


def _bad(request):
    raise SuspiciousOperation("bad")


urlpatterns = [
    path("boom/", _boom), path("p/boom/", _boom), path("api/v1/boom/", _boom),
    path("denied/", _denied), path("api/v1/denied/", _denied), path("bad/", _bad),
    *urlpatterns,
]
