from django.urls import path, re_path

from . import views

app_name = "indicators"
urlpatterns = [
    path("indicators/", views.scorecard, name="scorecard"),
    path("indicators/export.xlsx", views.scorecard_xlsx, name="export"),
    path("indicators/targets/", views.targets, name="targets"),
    path("indicators/warning/", views.warning, name="warning"),
    path("indicators/appraisal/", views.appraisals, name="appraisals"),
    path("indicators/appraisal/<int:pk>/", views.appraisal_detail, name="appraisal"),
    re_path(r"^indicators/(?P<code>[A-Z][A-Z0-9]{1,4})/$", views.indicator, name="indicator"),  # T01, T10U, AL1…
]
