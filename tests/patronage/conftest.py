import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def catalogues(db):
    """The rules and checklist the migrations load, back after a flush emptied them."""
    from mch.catalogue import load_all as load_mch
    from patronage.catalogue import load_all

    load_mch()
    load_all()
