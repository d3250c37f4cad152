"""Each event type produces its message in each language."""

import re

import pytest

from notifications.texts import PATIENT, RECEIVER, STAFF, TEMPLATES, render, template_for
from outbox import kinds

PAYLOADS = {
    kinds.PRESCRIPTION_ISSUED: {"code": "RX7Q2K", "drug": "Amoksitsillin",
                                "valid_until": "2026-12-31"},
    kinds.PRESCRIPTION_CANCELLED: {"code": "RX7Q2K", "drug": "Amoksitsillin"},
    kinds.PRESCRIPTION_DISPENSED: {"code": "RX7Q2K", "drug": "Amoksitsillin",
                                   "pharmacy": "Shifo-Farm"},
    kinds.PRESCRIPTION_EXPIRING: {"code": "RX7Q2K", "drug": "Amoksitsillin",
                                  "valid_until": "2026-12-31"},
    kinds.LAB_RESULT_RELEASED: {"test": "HbA1c", "facility": "Chilonzor lab"},
    kinds.REFERRAL_RECEIVED: {"to_facility": "RSNPMC", "valid_until": "2026-12-31"},
    f"{kinds.REFERRAL_RECEIVED}:receiver": {"from_facility": "12-poliklinika",
                                            "valid_until": "2026-12-31", "urgency": "routine"},
    f"{kinds.REFERRAL_RECEIVED}:receiver:emergency": {"from_facility": "12-poliklinika",
                                                      "valid_until": "2026-12-02",
                                                      "urgency": "emergency"},
    kinds.APPOINTMENT_BOOKED: {"doctor": "Aliyeva N.", "facility": "12-poliklinika",
                               "starts_at": "2026-12-01T04:30:00+00:00"},
    kinds.APPOINTMENT_CANCELLED: {"facility": "12-poliklinika",
                                  "starts_at": "2026-12-01T04:30:00+00:00"},
    f"{kinds.APPOINTMENT_REMINDER}:24": {"doctor": "Aliyeva N.", "facility": "12-poliklinika",
                                         "starts_at": "2026-12-01T04:30:00+00:00",
                                         "hours_before": 24},
    f"{kinds.APPOINTMENT_REMINDER}:2": {"doctor": "Aliyeva N.", "facility": "12-poliklinika",
                                        "starts_at": "2026-12-01T04:30:00+00:00",
                                        "hours_before": 2},
    kinds.TICKET_CALLED: {"ticket": "A-017", "service_point": "kabinet 14"},
    kinds.IMMUNISATION_DUE: {"child": "Laylo", "vaccine": "Pentavalent", "dose": 2,
                             "due_on": "2026-12-10", "facility": "12-poliklinika",
                             "representatives": [7]},
    kinds.IMMUNISATION_OVERDUE: {"child": "Laylo", "vaccine": "Pentavalent", "dose": 2,
                                 "due_on": "2026-12-10", "facility": "12-poliklinika",
                                 "representatives": [7]},
    f"{kinds.AEFI_SERIOUS}:staff": {"vaccine": "Pentavalent", "facility": "12-sonli oilaviy "
                                    "poliklinika", "reported_on": "2026-12-07"},
    f"{kinds.LAB_CRITICAL_ALERT}:staff": {"test": "Kaliy", "value": "7.1", "unit": "mmol/L",
                                          "round": 0, "minutes": 0},
    f"{kinds.LAB_CRITICAL_ALERT}:staff:escalated": {"test": "Kaliy", "value": "7.1",
                                                    "unit": "mmol/L", "round": 1,
                                                    "minutes": 30},
    kinds.ATTACHMENT_MOVED: {"to_facility": "5-poliklinika", "applied_on": "2026-12-01"},
    f"{kinds.ATTACHMENT_MOVED}:staff": {"patient": "Y.M.", "born": 1985,
                                        "to_facility": "5-poliklinika"},
    kinds.ATTACHMENT_DECLINED: {"to_facility": "5-poliklinika", "applied_on": "2026-12-01",
                                "reason": "Not our district"},
}
CYRILLIC = re.compile("[а-яўқғҳ]", re.IGNORECASE)


def test_every_template_has_a_sample():
    assert set(PAYLOADS) == set(TEMPLATES)


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_each_event_reads_in_each_language(key):
    kind = key.split(":")[0]
    audience = next((who for who in (RECEIVER, STAFF) if f"{kind}:{who}" in key), PATIENT)
    texts = {lang: render(kind, PAYLOADS[key], lang, audience)
             for lang in ["uz", "uz-cyrl", "ru", "en"]}

    assert len(set(texts.values())) == 4, texts  # four different texts
    for text in texts.values():
        assert "%(" not in text and text.startswith(("DMED:", "ДМЕД:"))
    assert not CYRILLIC.search(texts["uz"]) and not CYRILLIC.search(texts["en"])
    assert CYRILLIC.search(texts["uz-cyrl"]) and CYRILLIC.search(texts["ru"])
    for field, value in PAYLOADS[key].items():
        if isinstance(value, str) and not value[:4].isdigit() and field != "urgency":
            assert value in texts["en"] or value in texts["ru"]


def test_times_are_shown_in_tashkent_time():
    text = render(kinds.APPOINTMENT_BOOKED, PAYLOADS[kinds.APPOINTMENT_BOOKED], "en")
    assert "01.12.2026 09:30" in text  # 04:30 UTC is 09:30 in Tashkent
    text = render(kinds.PRESCRIPTION_ISSUED, PAYLOADS[kinds.PRESCRIPTION_ISSUED], "en")
    assert "31.12.2026" in text


def test_a_name_given_per_language_is_read_in_the_readers():
    payload = {"test": {"uz": "Gemoglobin", "ru": "Гемоглобин", "en": "Haemoglobin"},
               "facility": "Lab"}
    texts = {lang: render(kinds.LAB_RESULT_RELEASED, payload, lang)
             for lang in ["uz", "uz-cyrl", "ru", "en"]}
    assert "Gemoglobin" in texts["uz"] and "Гемоглобин" in texts["ru"]
    assert "Haemoglobin" in texts["en"] and "Гемоглобин" in texts["uz-cyrl"]


def test_an_emergency_referral_wakes_its_receivers_and_the_others_wait():
    emergency = {"urgency": "emergency", "from_facility": "P12", "valid_until": "2026-12-02"}
    assert template_for(kinds.REFERRAL_RECEIVED, emergency, RECEIVER).urgent
    assert not template_for(kinds.REFERRAL_RECEIVED, {**emergency, "urgency": "urgent"},
                            RECEIVER).urgent
    assert not template_for(kinds.REFERRAL_RECEIVED, emergency, PATIENT).urgent
