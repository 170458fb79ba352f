from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("p/", views.home, name="home"),
    path("p/test/<str:code>/", views.self_test, name="self_test"),
    path("p/sites/", views.sites, name="sites"),
    path("p/articles/", views.articles, name="articles"),
    path("p/articles/<int:pk>/", views.article, name="article"),
    path("p/events/", views.events, name="events"),
    path("p/book/<int:site_id>/", views.book, name="book"),
    path("p/cancel/", views.cancel_booking, name="cancel"),
    path("p/account/", views.account, name="account"),
    path("p/account/register/", views.account_register, name="account_register"),
    path("p/account/login/", views.account_login, name="account_login"),
    path("p/awareness/", views.awareness_start, name="awareness_start"),
    path("p/awareness/<slug:token>/", views.awareness, name="awareness"),
    path("p/privacy/", views.privacy, name="privacy"),
    path("p/text-size/", views.text_size, name="text_size"),
]
