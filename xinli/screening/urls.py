from django.urls import path

from . import campaign_views, views

app_name = "screening"
urlpatterns = [
    path("persons/<int:pk>/assess/", views.administer, name="administer"),
    path("assessments/<int:pk>/", views.assessment_detail, name="assessment_detail"),
    path("assessments/<int:pk>/report.pdf", views.assessment_report, name="assessment_report"),
    path("campaigns/", campaign_views.campaign_list, name="campaign_list"),
    path("campaigns/<int:pk>/", campaign_views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/participants/", campaign_views.campaign_participants, name="campaign_participants"),
    path("campaigns/<int:pk>/positive.xlsx", campaign_views.campaign_export, name="campaign_export"),
    path("campaigns/<int:pk>/close/", campaign_views.campaign_close, name="campaign_close"),
    path("s/", campaign_views.participant_start, name="participant_start"),
    path("s/<str:code>/", campaign_views.participant_form, name="participant_form"),
]
