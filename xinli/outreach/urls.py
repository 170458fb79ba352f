from django.urls import path

from . import views

app_name = "outreach"
urlpatterns = [
    path("outreach/", views.desk, name="desk"),
    path("outreach/samples/", views.samples, name="samples"),
    path("outreach/samples/<int:pk>/", views.sample, name="sample"),
]
