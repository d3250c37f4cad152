import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english():
    """Services answer in the active language (Uzbek by default); tests read English."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def awake(settings):
    """Quiet hours that never come, so tests do not depend on the clock."""
    settings.NOTIFY_QUIET_HOURS = (24, 0)
