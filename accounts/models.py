"""Organisations, users and their roles (SPEC §4)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel
from common.text import NormalizedCharField
from common.validators import validate_eic


class Organisation(TimeStampedModel):
    class Kind(models.TextChoices):
        SYSTEM_OPERATOR = "system_operator", _("System operator")
        FSP = "fsp", _("Flexibility service provider")
        REGULATOR = "regulator", _("Regulator")

    name = NormalizedCharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # EIC party code; required for system operators and FSPs (checked in clean()).
    eic_code = models.CharField(
        _("EIC code"), max_length=16, unique=True, null=True, blank=True, validators=[validate_eic]
    )
    country = models.CharField(_("country"), max_length=2, default="SE")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.kind in (self.Kind.SYSTEM_OPERATOR, self.Kind.FSP) and not self.eic_code:
            raise ValidationError({"eic_code": _("System operators and FSPs need an EIC code.")})


class User(AbstractUser):
    """A person. What they may do follows from their memberships."""

    # The language of their e-mails, and of the pages after they log in on another browser;
    # set by the language switcher. Blank: the installation's default (settings.LANGUAGE_CODE).
    language = models.CharField(
        _("language"), max_length=10, blank=True, choices=settings.LANGUAGES,
        help_text=_("Language of e-mails and pages; set when the user picks one in the page header."),
    )

    class Meta:
        ordering = ["username"]

    @property
    def email_language(self) -> str:
        return self.language or settings.LANGUAGE_CODE


class Membership(TimeStampedModel):
    class Role(models.TextChoices):
        SO_ENGINEER = "so_engineer", _("SO engineer")
        SO_VIEWER = "so_viewer", _("SO viewer")
        FSP_USER = "fsp_user", _("FSP user")
        NRA_ANALYST = "nra_analyst", _("NRA analyst")

    # Which organisation kind each role belongs to.
    ROLE_KIND = {
        Role.SO_ENGINEER: Organisation.Kind.SYSTEM_OPERATOR,
        Role.SO_VIEWER: Organisation.Kind.SYSTEM_OPERATOR,
        Role.FSP_USER: Organisation.Kind.FSP,
        Role.NRA_ANALYST: Organisation.Kind.REGULATOR,
    }

    user = models.ForeignKey(User, models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.organisation} ({self.get_role_display()})"

    def clean(self) -> None:
        if self.organisation_id and self.role:
            expected = self.ROLE_KIND[self.role]
            if self.organisation.kind != expected:
                raise ValidationError(
                    {
                        "role": _("The role %(role)s belongs to a %(kind)s organisation.")
                        % {"role": self.get_role_display(), "kind": expected.label}
                    }
                )
