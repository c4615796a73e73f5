"""Measurement state: declared credentials (a prior only) and per-skill estimates with history."""

from django.conf import settings
from django.db import models


class AnnotatorProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    credentials = models.TextField(blank=True, help_text="Declared qualifications; a weak prior, never proof.")
    declared_domains = models.JSONField(default=list, blank=True)
    prior_skill = models.FloatField(default=0.5)

    def __str__(self) -> str:
        return f"Profile of {self.user}"


class SkillEstimate(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="skills")
    kind = models.CharField(max_length=16)
    domain = models.CharField(max_length=100, blank=True)
    mean = models.FloatField()
    sd = models.FloatField()
    n = models.PositiveIntegerField(default=0)
    history = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind", "domain"], name="skill_unique")]

    def __str__(self) -> str:
        return f"{self.user} {self.kind}/{self.domain or '*'}: {self.mean:.2f}±{self.sd:.2f}"
