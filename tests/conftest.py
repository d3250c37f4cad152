import pytest
from rest_framework.test import APIClient

from dmed.roles import STAFF_ROLES, Role
from tests.factories import StaffRecordFactory, UserFactory


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def make_user(db):
    """A user of the given role; staff roles get an active staff record at a facility."""

    def make(role=Role.CLINICIAN, **fields):
        user = UserFactory(role=role, **fields)
        if role in STAFF_ROLES:
            StaffRecordFactory(user=user, role=role)
        return user

    return make
