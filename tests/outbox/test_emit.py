import pytest
from django.db import transaction

from outbox.events import NotInTransaction, emit
from outbox.kinds import PRESCRIPTION_ISSUED
from outbox.models import Event


@pytest.mark.django_db(transaction=True)
def test_an_event_commits_with_the_change_or_not_at_all():
    with transaction.atomic():
        kept = emit(PRESCRIPTION_ISSUED, {"med_id": "1000000001"})

    class RolledBack(Exception):
        pass

    with pytest.raises(RolledBack), transaction.atomic():
        emit(PRESCRIPTION_ISSUED, {"med_id": "1000000002"})
        raise RolledBack
    assert list(Event.objects.values_list("pk", flat=True)) == [kept.pk]


@pytest.mark.django_db(transaction=True)
def test_emit_refuses_to_run_outside_a_transaction():
    with pytest.raises(NotInTransaction):
        emit(PRESCRIPTION_ISSUED, {"med_id": "1000000001"})
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown event kind"):
        emit("prescription.isued", {})


@pytest.mark.django_db
def test_a_dedupe_key_makes_the_second_emit_return_the_first_event():
    first = emit(PRESCRIPTION_ISSUED, {"n": 1}, dedupe_key="rx:AB12:issued")
    second = emit(PRESCRIPTION_ISSUED, {"n": 2}, dedupe_key="rx:AB12:issued")
    other = emit(PRESCRIPTION_ISSUED, {"n": 3}, dedupe_key="rx:CD34:issued")
    assert second.pk == first.pk and second.payload == {"n": 1}
    assert other.pk != first.pk
    assert Event.objects.count() == 2
