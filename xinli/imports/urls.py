from django.urls import path

from . import views

app_name = "imports"
urlpatterns = [
    path("imports/", views.history, name="list"),
    path("imports/new/", views.new, name="new"),
    path("imports/template/<str:kind>/", views.template, name="template"),
    path("imports/<int:pk>/", views.detail, name="detail"),
    path("imports/<int:pk>/progress/", views.progress, name="progress"),
    path("imports/<int:pk>/report/", views.report, name="report"),
    path("imports/<int:pk>/run/", views.run_for_real, name="run"),
]
