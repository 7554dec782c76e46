from django.contrib.auth import views as auth_views
from django.urls import path

from dispatch import views

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="registration/login.html"),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.visit_list, name="visit-list"),
    path("visits/new/", views.visit_new, name="visit-new"),
    path("visits/<int:pk>/", views.visit_detail, name="visit-detail"),
    path("visits/<int:pk>/status/", views.visit_status, name="visit-status"),
    path("visits/<int:pk>/cancel/", views.visit_cancel, name="visit-cancel"),
    path("checks/dry-run/", views.dry_run, name="dry-run"),
]
