from django.urls import path

from . import views

app_name = "smd"
urlpatterns = [
    path("smd/", views.worklist, name="worklist"),
    path("smd/export.xlsx", views.export, name="export"),
    path("smd/summary/", views.worklist_summary, name="summary"),
    path("smd/patients/", views.patient_list, name="patient_list"),
    path("smd/patients/<int:pk>/", views.patient_detail, name="patient_detail"),
    path("smd/patients/<int:pk>/follow-up/", views.follow_up_new, name="follow_up_new"),
    path("smd/patients/<int:pk>/support/", views.support_new, name="support_new"),
    path("smd/patients/<int:pk>/forms/", views.patient_forms, name="patient_forms"),
    path("smd/forms/blank/", views.forms_blank, name="forms_blank"),
    path("smd/patients/<int:pk>/break-glass/", views.break_glass, name="break_glass"),
]
