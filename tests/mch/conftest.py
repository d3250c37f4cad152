import pytest


@pytest.fixture(autouse=True)
def mch_catalogues(db):
    """The catalogues the migrations load, back after a transactional test flushed them."""
    from mch.catalogue import load_all

    load_all()
