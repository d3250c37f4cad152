import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english():
    """Services answer in the active language (Uzbek by default); tests read English."""
    with translation.override("en"):
        yield
