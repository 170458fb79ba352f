from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("2fa/", views.two_factor_view, name="two_factor"),
    path("security/", views.security_view, name="security"),
    path("users/", views.users_view, name="users"),
    path("password/", views.password_view, name="password"),
    path("tokens/", views.tokens_view, name="tokens"),
]
