from django.apps import AppConfig


class WorkstationConfig(AppConfig):
    name = "workstation"
    default_auto_field = "django.db.models.BigAutoField"
