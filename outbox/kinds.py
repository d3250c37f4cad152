"""The events the portal raises: the contract between the apps that emit and consumers.

Each payload is a JSON object. Every event about a patient carries `med_id` (the card
the event concerns: notifications find the recipient through it); the other fields are
what a message or a pharmacy system needs, so consumers never read the emitting app's
tables. See README.md, "Events", for each kind's fields.
"""

PRESCRIPTION_ISSUED = "prescription.issued"
PRESCRIPTION_CANCELLED = "prescription.cancelled"
PRESCRIPTION_DISPENSED = "prescription.dispensed"
PRESCRIPTION_EXPIRING = "prescription.expiring"
PRESCRIPTION_EXPIRED = "prescription.expired"
LAB_RESULT_RELEASED = "lab.result_released"
REFERRAL_RECEIVED = "referral.received"
APPOINTMENT_BOOKED = "appointment.booked"
APPOINTMENT_CANCELLED = "appointment.cancelled"
APPOINTMENT_REMINDER = "appointment.reminder"
TICKET_CALLED = "queue.ticket_called"

KINDS = frozenset({
    PRESCRIPTION_ISSUED,
    PRESCRIPTION_CANCELLED,
    PRESCRIPTION_DISPENSED,
    PRESCRIPTION_EXPIRING,
    PRESCRIPTION_EXPIRED,
    LAB_RESULT_RELEASED,
    REFERRAL_RECEIVED,
    APPOINTMENT_BOOKED,
    APPOINTMENT_CANCELLED,
    APPOINTMENT_REMINDER,
    TICKET_CALLED,
})
