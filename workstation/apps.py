from django.apps import AppConfig


class WorkstationConfig(AppConfig):
    name = "workstation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from workstation import converters

        converters.register()
