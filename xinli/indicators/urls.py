from django.urls import path

from . import views

app_name = "indicators"
urlpatterns = [
    path("indicators/", views.scorecard, name="scorecard"),
    path("indicators/export.xlsx", views.scorecard_xlsx, name="export"),
]
