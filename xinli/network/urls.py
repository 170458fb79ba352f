from django.urls import path

from . import views

app_name = "network"
urlpatterns = [
    path("network/export.xlsx", views.export, name="export"),
    path("network/inspections/", views.inspections_page, name="inspections"),
    path("network/workforce/", views.workforce_page, name="workforce"),
    path("public/evaluations/", views.public_evaluations, name="public_evaluations"),
    path("feedback/site/<int:site_id>/", views.feedback, name="feedback"),
]
