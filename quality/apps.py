from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "quality"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Reviewer calibration for the review console (helper F, issue 5).
        from quality.calibration import register_hooks

        register_hooks()
