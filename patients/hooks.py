"""What `patients` learns from the apps above it, through functions those apps name in
settings: `patients` must not import them (the layers in pyproject.toml)."""

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string


@cache
def hook(setting: str):
    """The function a setting names (ALLERGEN_RESOLVER, ICD10_TITLE, …)."""
    return import_string(getattr(settings, setting))


@cache
def banner_sources() -> dict:
    """The clinical banner's sections from other apps: name → function of a card."""
    return {name: import_string(path)
            for name, path in settings.CLINICAL_BANNER_SOURCES.items()}
