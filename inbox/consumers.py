"""The results inbox consumes the outbox: what came back about a clinician's patients.
It reads the events only (who ordered, referred or prescribed is in them)."""

from inbox import services
from outbox.kinds import LAB_RESULT_RELEASED, PRESCRIPTION_NOT_DISPENSED, REFERRAL_DECIDED
from outbox.registry import consumer

RECEIVERS = {
    LAB_RESULT_RELEASED: services.receive_released_result,
    REFERRAL_DECIDED: services.receive_referral_answer,
    PRESCRIPTION_NOT_DISPENSED: services.receive_not_dispensed,
}


@consumer("inbox", kinds=RECEIVERS)
def receive(event, target: str) -> None:
    RECEIVERS[event.kind](event=event)
