from django.contrib import admin

from quality import models as m


@admin.register(m.AnnotatorProfile)
class AnnotatorProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "prior_skill", "credentials"]
    search_fields = ["user__username", "credentials"]


@admin.register(m.SkillEstimate)
class SkillEstimateAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "domain", "mean", "sd", "n", "updated_at"]
    list_filter = ["kind", "domain"]
    search_fields = ["user__username", "domain"]
