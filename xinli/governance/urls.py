from django.urls import path

from . import views

app_name = "governance"

urlpatterns = [
    path("orders/", views.order_list, name="order_list"),
    path("orders/new/", views.order_new, name="order_new"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("orders/kinds/", views.kind_list, name="kind_list"),
    path("orders/kinds/<int:pk>/", views.kind_edit, name="kind_edit"),
    path("grids/", views.grid_list, name="grid_list"),
    path("grids/<int:pk>/", views.grid_detail, name="grid_detail"),
    path("grids/visit/", views.visit_new, name="visit_new"),
    path("leading/", views.leading_home, name="leading"),
    path("leading/meetings/new/", views.meeting_new, name="meeting_new"),
    path("leading/meetings/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("leading/tasks/<int:pk>/", views.task_detail, name="task_detail"),
]
