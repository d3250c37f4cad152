import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english():
    """Services answer in the active language (Uzbek by default); tests read English."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def mch_catalogues(db):
    """The catalogues the migrations load, back after a transactional test flushed them."""
    from mch.catalogue import load_all

    load_all()
