from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("reports/", views.reports, name="list"),
    path("reports/<int:pk>/download/", views.download, name="download"),
]
