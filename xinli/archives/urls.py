from django.urls import path

from . import views

app_name = "archives"
urlpatterns = [
    path("", views.person_list, name="person_list"),
    path("new/", views.person_create, name="person_create"),
    path("<int:pk>/", views.person_detail, name="person_detail"),
    path("<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("<int:pk>/consents/new/", views.consent_create, name="consent_create"),
    path("consents/<int:pk>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path("duplicates/", views.duplicate_list, name="duplicate_list"),
    path("duplicates/<int:pk>/", views.duplicate_detail, name="duplicate_detail"),
    path("possible-duplicates/", views.possible_duplicate_list, name="possible_duplicates"),
    path("<int:pk>/compare/<int:other>/", views.person_compare, name="person_compare"),
    path("merges/<int:pk>/", views.merge_detail, name="merge_detail"),
]
