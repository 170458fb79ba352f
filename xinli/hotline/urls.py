from django.urls import path

from . import views

app_name = "hotline"
urlpatterns = [
    path("hotline/", views.call_list, name="call_list"),
    path("hotline/new/", views.call_new, name="call_new"),
    path("hotline/previous/", views.previous, name="previous"),
    path("hotline/handover/", views.handover, name="handover"),
    path("hotline/calls/<int:pk>/", views.call_detail, name="call_detail"),
    path("hotline/calls/<int:pk>/follow-up/", views.follow_up, name="follow_up"),
    path("hotline/lines/<int:pk>/", views.line_kpis, name="line_kpis"),
    path("hotline/lines/new/", views.line_new, name="line_new"),
    path("hotline/lines/<int:pk>/service-time/", views.line_service_time, name="line_service_time"),
]
