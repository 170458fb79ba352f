from django.urls import path

from . import views

app_name = "alerts"
urlpatterns = [
    path("alerts/", views.alert_list, name="alert_list"),
    path("alerts/console/", views.console, name="console"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert_detail"),
    path("alerts/<int:pk>/case/", views.case_open, name="case_open"),
    path("alerts/<int:pk>/<str:action>/", views.alert_action, name="alert_action"),
    path("crisis/", views.crisis_home, name="crisis_home"),
    path("crisis/cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("crisis/events/<int:pk>/", views.event_detail, name="event_detail"),
    path("crisis/teams/", views.team_list, name="team_list"),
    path("crisis/teams/<int:pk>/", views.team_detail, name="team_detail"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read-all/", views.inbox_read_all, name="inbox_read_all"),
]
