from django.urls import path

from . import views

app_name = "counselling"
urlpatterns = [
    path("counselling/", views.desk, name="desk"),
    path("counselling/cases/<int:pk>/", views.case_page, name="case"),
]
