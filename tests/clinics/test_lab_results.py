"""Ordering tests, entering results with flags, release after verification, corrections."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from clinics.labs import services
from clinics.labs.models import Flag, LabOrder, LabResult
from dmed.models import AuditAction, AuditEvent
from dmed.roles import Role
from patients.access import CardAccessDenied
from registry.models import FacilityKind
from tests.clinics.factories import VisitFactory
from tests.clinics.lab_helpers import lab_world
from tests.factories import FacilityFactory, UserFactory, staff_at
from tests.patients.factories import CardFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return lab_world()


@pytest.fixture
def card(world):
    return CardFactory(attached_facility=world.polyclinic, registered_at=world.polyclinic,
                       sex="female", birth_date=date(1990, 4, 2))


def order(world, card, *codes):
    return services.place_lab_order(actor=world.doctor, med_id=card.med_id,
                                    laboratory=world.laboratory, tests=list(codes or ["HGB"]))


def enter(world, order, code="HGB", value="118", technician=None):
    return services.enter_result(actor=technician or world.technician, order_id=order.public_id,
                                 test_code=code, value=Decimal(value),
                                 sampled_at=timezone.now())


class TestOrdering:
    def test_a_clinician_orders_tests_for_a_patient_in_scope(self, world, card):
        placed = order(world, card, "HGB", "FERR", "HGB")
        assert sorted(placed.items.values_list("test__code", flat=True)) == ["FERR", "HGB"]
        assert placed.ordering_facility == world.polyclinic
        assert AuditEvent.objects.filter(action=AuditAction.CREATE, patient_med_id=card.med_id,
                                         object_id=str(placed.public_id)).exists()

    def test_a_patient_outside_scope_is_refused_and_the_refusal_audited(self, world):
        stranger = CardFactory()
        with pytest.raises(CardAccessDenied):
            order(world, stranger)
        assert not LabOrder.objects.exists()
        assert AuditEvent.objects.filter(patient_med_id=stranger.med_id, allowed=False).exists()

    def test_ordering_during_a_visit_links_the_order_to_it(self, world, card):
        visit = VisitFactory(card=card, clinician=world.doctor)
        VisitFactory(card=card)  # another clinician's visit is not theirs
        assert order(world, card).visit == visit

    def test_a_visit_of_another_patient_is_refused_not_followed(self, world, card):
        foreign = VisitFactory(clinician=world.doctor)
        with pytest.raises(ValidationError) as error:
            services.place_lab_order(actor=world.doctor, med_id=card.med_id,
                                     laboratory=world.laboratory, tests=["HGB"],
                                     visit_id=foreign.public_id)
        assert "visit" in error.value.message_dict and not LabOrder.objects.exists()

    @pytest.mark.parametrize(("tests", "field"), [([], "tests"), (["NOPE"], "tests")])
    def test_bad_tests_are_refused_per_field(self, world, card, tests, field):
        with pytest.raises(ValidationError) as error:
            services.place_lab_order(actor=world.doctor, med_id=card.med_id,
                                     laboratory=world.laboratory, tests=tests)
        assert field in error.value.message_dict

    def test_only_a_laboratory_receives_orders(self, world, card):
        with pytest.raises(ValidationError) as error:
            services.place_lab_order(actor=world.doctor, med_id=card.med_id,
                                     laboratory=world.polyclinic, tests=["HGB"])
        assert "laboratory" in error.value.message_dict

    @pytest.mark.parametrize("role", [Role.REGISTRAR, Role.LAB_TECHNICIAN, Role.PHARMACIST])
    def test_other_roles_do_not_order(self, world, card, role):
        with pytest.raises(PermissionDenied):
            services.place_lab_order(actor=staff_at(world.polyclinic, role), med_id=card.med_id,
                                     laboratory=world.laboratory, tests=["HGB"])


class TestResults:
    def test_entry_copies_the_range_of_the_patients_sex_and_age_and_flags(self, world, card):
        result = enter(world, order(world, card), value="118")
        assert (result.reference_low, result.reference_high) == (Decimal(120), Decimal(150))
        assert result.flag == Flag.LOW and result.unit == "g/L" and not result.is_released

    def test_a_draft_may_be_re_entered_before_release(self, world, card):
        placed = order(world, card)
        enter(world, placed, value="118")
        again = enter(world, placed, value="128")
        assert again.version == 1 and again.flag == Flag.NORMAL
        assert LabResult.objects.count() == 1

    def test_another_laboratory_cannot_see_or_touch_the_order(self, world, card):
        placed = order(world, card)
        elsewhere = staff_at(FacilityFactory(kind=FacilityKind.LABORATORY),
                             Role.LAB_TECHNICIAN)
        with pytest.raises(Http404):
            enter(world, placed, technician=elsewhere)
        assert not LabResult.objects.exists()
        assert AuditEvent.objects.filter(actor=elsewhere, allowed=False,
                                         object_id=str(placed.public_id)).exists()

    def test_a_clinician_does_not_enter_results(self, world, card):
        with pytest.raises(PermissionDenied):
            enter(world, order(world, card), technician=world.doctor)

    def test_sampling_in_the_future_is_refused(self, world, card):
        with pytest.raises(ValidationError) as error:
            services.enter_result(actor=world.technician, order_id=order(world, card).public_id,
                                  test_code="HGB", value=Decimal(120),
                                  sampled_at=timezone.now() + timedelta(hours=1))
        assert "sampled_at" in error.value.message_dict

    def test_release_records_the_verifier_and_completes_the_order(self, world, card):
        placed = order(world, card, "HGB", "FERR")
        first = services.release_result(actor=world.technician,
                                        result_id=enter(world, placed).public_id)
        assert first.verified_by == world.technician and first.is_released
        placed.refresh_from_db()
        assert placed.completed_at is None
        services.release_result(actor=world.technician,
                                result_id=enter(world, placed, "FERR", "40").public_id)
        placed.refresh_from_db()
        assert placed.completed_at is not None

    def test_a_critical_value_needs_a_second_technician(self, world, card):
        result = enter(world, order(world, card), value="60")
        assert result.flag == Flag.CRITICAL_LOW
        with pytest.raises(PermissionDenied):
            services.release_result(actor=world.technician, result_id=result.public_id)
        released = services.release_result(actor=world.second_technician,
                                           result_id=result.public_id)
        assert released.verified_by == world.second_technician
        assert released.entered_by == world.technician

    def test_released_results_are_not_re_entered(self, world, card):
        placed = order(world, card)
        services.release_result(actor=world.technician, result_id=enter(world, placed).public_id)
        with pytest.raises(ValidationError):
            enter(world, placed, value="130")


class TestCorrections:
    @pytest.fixture
    def released(self, world, card):
        result = enter(world, order(world, card), value="118")
        return services.release_result(actor=world.technician, result_id=result.public_id)

    def test_a_correction_is_a_new_version_and_the_old_one_stays(self, world, released):
        correction = services.correct_result(actor=world.technician,
                                             result_id=released.public_id,
                                             value=Decimal("128"), reason="Transcription error")
        assert (correction.version, correction.corrects) == (2, released)
        assert correction.flag == Flag.NORMAL and not correction.is_released
        with pytest.raises(PermissionDenied):  # the corrector does not verify it alone
            services.release_result(actor=world.technician, result_id=correction.public_id)
        services.release_result(actor=world.second_technician, result_id=correction.public_id)
        released.refresh_from_db()
        assert released.value == Decimal("118") and released.is_released
        assert list(LabResult.objects.values_list("version", "value")) == [
            (1, Decimal("118")), (2, Decimal("128"))]

    def test_a_correction_needs_a_reason_and_a_released_newest_version(self, world, released):
        with pytest.raises(ValidationError) as error:
            services.correct_result(actor=world.technician, result_id=released.public_id,
                                    value=Decimal(128), reason=" ")
        assert "reason" in error.value.message_dict
        services.correct_result(actor=world.technician, result_id=released.public_id,
                                value=Decimal(128), reason="Wrong sample")
        with pytest.raises(ValidationError):
            services.correct_result(actor=world.technician, result_id=released.public_id,
                                    value=Decimal(129), reason="Again")

    def test_the_database_refuses_to_change_or_delete_a_released_version(self, released):
        with pytest.raises(IntegrityError), transaction.atomic():
            LabResult.objects.filter(pk=released.pk).update(value=Decimal(150))
        with pytest.raises(IntegrityError), transaction.atomic():
            LabResult.objects.filter(pk=released.pk).update(released_at=None)
        with pytest.raises(IntegrityError), transaction.atomic():
            LabResult.objects.filter(pk=released.pk).delete()
        released.refresh_from_db()
        assert released.value == Decimal(118)

    def test_a_card_merge_may_still_move_a_released_result(self, released):
        survivor = CardFactory()
        LabResult.objects.filter(pk=released.pk).update(card=survivor)
        released.refresh_from_db()
        assert released.card == survivor

    def test_merging_cards_moves_orders_and_results_to_the_kept_card(self, world, card,
                                                                     released):
        from patients.services import merge_cards
        admin = UserFactory(role=Role.ADMINISTRATOR)
        kept = CardFactory(attached_facility=world.polyclinic, registered_at=world.polyclinic)
        merge_cards(actor=admin, source_med_id=card.med_id, target_med_id=kept.med_id)
        released.refresh_from_db()
        assert released.card == kept and released.value == Decimal(118)
        assert LabOrder.objects.get().card == kept
