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
# Raised by the results inbox: a critical value to tell the named staff about now (its
# ordering clinician on release, heads and the on-call list while nobody acknowledges).
LAB_CRITICAL_ALERT = "lab.critical_alert"
REFERRAL_RECEIVED = "referral.received"
REFERRAL_DECIDED = "referral.decided"
PRESCRIPTION_NOT_DISPENSED = "prescription.not_dispensed"
APPOINTMENT_BOOKED = "appointment.booked"
APPOINTMENT_CANCELLED = "appointment.cancelled"
APPOINTMENT_REMINDER = "appointment.reminder"
TICKET_CALLED = "queue.ticket_called"
# A child's next dose of the immunisation calendar: a few days before it falls due, and
# once it is overdue (mch); the message goes to the child's representatives too.
IMMUNISATION_DUE = "immunisation.due"
IMMUNISATION_OVERDUE = "immunisation.overdue"
# A serious adverse event following immunisation was reported (mch): the district's
# epidemiologists named in "recipients" are told; the family is not (staff only).
AEFI_SERIOUS = "aefi.serious"
# A card moved to another polyclinic on the person's request (its patient, and the old
# polyclinic's family doctor and heads named in "old_polyclinic_staff", are told), or the
# request was declined (its patient is told why).
ATTACHMENT_MOVED = "attachment.moved"
ATTACHMENT_DECLINED = "attachment.declined"

KINDS = frozenset({
    PRESCRIPTION_ISSUED,
    PRESCRIPTION_CANCELLED,
    PRESCRIPTION_DISPENSED,
    PRESCRIPTION_EXPIRING,
    PRESCRIPTION_EXPIRED,
    LAB_RESULT_RELEASED,
    LAB_CRITICAL_ALERT,
    REFERRAL_RECEIVED,
    REFERRAL_DECIDED,
    PRESCRIPTION_NOT_DISPENSED,
    APPOINTMENT_BOOKED,
    APPOINTMENT_CANCELLED,
    APPOINTMENT_REMINDER,
    TICKET_CALLED,
    IMMUNISATION_DUE,
    IMMUNISATION_OVERDUE,
    AEFI_SERIOUS,
    ATTACHMENT_MOVED,
    ATTACHMENT_DECLINED,
})
