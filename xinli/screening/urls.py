from django.urls import path

from . import views

app_name = "screening"
urlpatterns = [
    path("persons/<int:pk>/assess/", views.administer, name="administer"),
    path("assessments/<int:pk>/", views.assessment_detail, name="assessment_detail"),
    path("assessments/<int:pk>/report.pdf", views.assessment_report, name="assessment_report"),
]
