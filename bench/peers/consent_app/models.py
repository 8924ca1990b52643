"""The peer's two models: a contact unique by e-mail and one consent per contact and
purpose."""

from __future__ import annotations

from django.db import models


class Contact(models.Model):
    """A person, unique by e-mail."""

    email = models.CharField(max_length=320, unique=True)
    first_name = models.CharField(max_length=128, blank=True)
    last_name = models.CharField(max_length=128, blank=True)

    class Meta:
        app_label = "consent_app"


class Consent(models.Model):
    """A contact's consent to one purpose."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE)
    purpose = models.CharField(max_length=64)
    state = models.CharField(max_length=16, default="granted")
    given_at = models.DateTimeField()
    duration_months = models.IntegerField(null=True)
    source = models.CharField(max_length=255, blank=True, null=True)

    class Meta:
        app_label = "consent_app"
        constraints = [models.UniqueConstraint(fields=["contact", "purpose"],
                                               name="one_consent_per_purpose")]
