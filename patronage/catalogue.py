"""Today's home-visit rules and warning-signs checklist, loaded by a data migration (and
by tests after a flush); administrators edit them afterwards."""

from patronage.models import Reason, Unit, VisitRule, WarningSign

# (reason, risk group, unit, start, every, until, grace days)
RULES = [
    # A newborn: days 1-3 (one visit, late after day 3), 7, 14, 21 and 30, then monthly
    # to the first birthday.
    (Reason.NEWBORN, "", Unit.DAY, 1, 0, 0, 2),
    (Reason.NEWBORN, "", Unit.DAY, 7, 7, 21, 1),
    (Reason.NEWBORN, "", Unit.DAY, 30, 0, 0, 2),
    (Reason.NEWBORN, "", Unit.MONTH, 2, 1, 12, 7),
    # A pregnant woman by risk group: every eight, four or two weeks to the delivery.
    (Reason.PREGNANCY, "low", Unit.DAY, 7, 56, 280, 7),
    (Reason.PREGNANCY, "medium", Unit.DAY, 7, 28, 280, 7),
    (Reason.PREGNANCY, "high", Unit.DAY, 7, 14, 280, 3),
    # The lists, counted from each anniversary of the listing: quarterly and monthly.
    (Reason.DISABLED, "", Unit.MONTH, 0, 3, 11, 14),
    (Reason.BEDRIDDEN, "", Unit.MONTH, 0, 1, 11, 7),
]

# (code, name as the polyclinic reads it, reason or "" for every visit)
WARNING_SIGNS = [
    ("fever", "Isitma yoki tana harorati past", ""),
    ("breathing", "Tez yoki qiyin nafas olish", ""),
    ("convulsions", "Tutqanoq yoki hushsizlik", ""),
    ("poor-feeding", "Yaxshi emmayapti", Reason.NEWBORN),
    ("jaundice", "Teri yoki ko‘z sarg‘aygan", Reason.NEWBORN),
    ("umbilicus", "Kindik qizargan yoki suyuqlik ajralmoqda", Reason.NEWBORN),
    ("bleeding", "Qindan qon ketishi", Reason.PREGNANCY),
    ("headache-vision", "Kuchli bosh og‘rig‘i yoki ko‘rish xiralashgan", Reason.PREGNANCY),
    ("swelling", "Yuz va qo‘llar shishgan", Reason.PREGNANCY),
    ("fetal-movement", "Homila kam qimirlayapti", Reason.PREGNANCY),
    ("pressure-sores", "Yotoq yaralari", Reason.BEDRIDDEN),
]


def load_all(rule_model=VisitRule, sign_model=WarningSign) -> None:
    """Load the rules and the checklist where they are missing (idempotent); a migration
    passes its historical models."""
    if not rule_model.objects.exists():
        rule_model.objects.bulk_create([
            rule_model(reason=reason, risk_group=risk, unit=unit, start=start, every=every,
                       until=until, grace_days=grace)
            for reason, risk, unit, start, every, until, grace in RULES])
    for order, (code, name, reason) in enumerate(WARNING_SIGNS):
        sign_model.objects.get_or_create(code=code, defaults={"name": name, "reason": reason,
                                                             "order": order})
