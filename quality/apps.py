from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "quality"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The review console asks for reviewer calibration through a hook (annotations never imports quality).
        from quality.calibration import register_hooks

        register_hooks()
