from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CLINICIAN = "clinician", _("Clinician")
    NURSE = "nurse", _("Nurse")
    REGISTRAR = "registrar", _("Registrar")
    LAB_TECHNICIAN = "lab_technician", _("Lab technician")
    PHARMACIST = "pharmacist", _("Pharmacist")
    PATIENT = "patient", _("Patient")
    ADMINISTRATOR = "administrator", _("Administrator")
    # A district's epidemiologist: investigates adverse events following immunisation
    # reported in the district of the facility of their staff record.
    EPIDEMIOLOGIST = "epidemiologist", _("Epidemiologist")
    # The account of the national Digital Health Platform's system (a FHIR client acting for
    # no facility): it keeps the national record of every card through the FHIR interface;
    # its home page, should someone sign in as it, says only that.
    NATIONAL_PLATFORM = "national_platform", _("National health platform")


# Roles that work at a facility and so need an active staff record there.
# A tuple, not a set: its order lands in migrations and must not change between runs.
STAFF_ROLES = (Role.CLINICIAN, Role.NURSE, Role.REGISTRAR, Role.LAB_TECHNICIAN, Role.PHARMACIST,
               Role.EPIDEMIOLOGIST)
