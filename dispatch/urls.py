from django.contrib.auth import views as auth_views
from django.urls import path

from dispatch import views, views_dry_run, views_engineers, views_visit_edit, views_visit_list
from dispatch.forms import RoleLoginForm
from dispatch.views_board import dispatch_board_page

urlpatterns = [
    path("board/", dispatch_board_page, name="dispatch-board"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="registration/login.html", authentication_form=RoleLoginForm
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views_visit_list.visit_list, name="visit-list"),
    path("visits/new/", views.visit_new, name="visit-new"),
    path("visits/<int:pk>/", views.visit_detail, name="visit-detail"),
    path("visits/<int:pk>/status/", views.visit_status, name="visit-status"),
    path("visits/<int:pk>/cancel/", views.visit_cancel, name="visit-cancel"),
    path("visits/<int:pk>/edit/", views_visit_edit.visit_edit, name="visit-edit"),
    path("visits/<int:pk>/swap/", views_visit_edit.visit_swap, name="visit-swap"),
    path("visits/<int:pk>/refile/", views_visit_edit.visit_refile, name="visit-refile"),
    path("checks/dry-run/", views_dry_run.dry_run, name="dry-run"),
    path("engineers/", views_engineers.engineer_list, name="engineer-list"),
    path("engineers/new/", views_engineers.engineer_new, name="engineer-new"),
    path("engineers/<int:pk>/edit/", views_engineers.engineer_edit, name="engineer-edit"),
    path("engineers/import/", views_engineers.engineer_import, name="engineer-import"),
    path(
        "engineers/import/confirm/",
        views_engineers.engineer_import_confirm,
        name="engineer-import-confirm",
    ),
    path("engineers/export.csv", views_engineers.engineer_export, name="engineer-export"),
    path(
        "engineers/import/template.csv",
        views_engineers.engineer_import_template,
        name="engineer-import-template",
    ),
]
