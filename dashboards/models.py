from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class BulletinTemplate(models.Model):
    """The office's wording of one part of the 通报 (dashboards.bulletin_text):
    Django template language over the figures of the day. A part without a
    row uses the default shipped in dashboards/bulletin_defaults/."""

    class Section(models.TextChoices):
        TITLE = "title", _("标题")
        OVERALL = "overall", _("一、总体情况")
        PROGRESS = "progress", _("二、主要进展")
        PROBLEMS = "problems", _("三、存在问题")
        NEXT_STEPS = "next_steps", _("四、下步工作")
        SIGNATURE = "signature", _("落款")

    section = models.CharField(_("部分"), max_length=20, choices=Section.choices, unique=True)
    text = models.TextField(_("模板"))
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("修改人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("通报模板")
        verbose_name_plural = _("通报模板")
        ordering = ["section"]

    def __str__(self):
        return self.get_section_display()
