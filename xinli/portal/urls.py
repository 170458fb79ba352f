from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("p/", views.home, name="home"),
    path("p/test/<str:code>/", views.self_test, name="self_test"),
    path("p/sites/", views.sites, name="sites"),
]
