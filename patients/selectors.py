"""Reads of cards that people see, always scoped to the acting user."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clinics.models import Facility
from dmed.audit import record_audit_event, record_list_event
from dmed.models import AuditAction, AuditEvent, User
from dmed.roles import Role
from dmed.translit import search_key
from patients.access import (
    CARD_OBJECT,
    card_for,
    regular_scope,
    represented_card_ids,
    visible_cards,
)
from patients.identifiers import is_valid_med_id, normalise_med_id, normalise_phone
from patients.models import PatientCard

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
ACCESS_LOG_OBJECT = "patients.access_log"
PINFL_RE = re.compile(r"^\d{14}$")
DATE_RE = re.compile(r"^(\d{2})\.(\d{2})\.(\d{4})$|^(\d{4})-(\d{2})-(\d{2})$")


@dataclass
class Page:
    results: list
    next_cursor: str | None


# A cursor remembers how its first page matched, so later pages match the same way.
PREFIX, SIMILAR = "p", "s"


def _encode_cursor(mode: str, card: PatientCard) -> str:
    raw = json.dumps([mode, card.search_name, card.pk]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_cursor(cursor: str) -> tuple[str, str, int]:
    try:
        mode, name, pk = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if mode not in (PREFIX, SIMILAR):
            raise ValueError(mode)
        return mode, str(name), int(pk)
    except (ValueError, TypeError) as error:
        raise ValidationError({"cursor": [_("This page link is not valid.")]}) from error


def _parse_date(text: str) -> date | None:
    match = DATE_RE.match(text)
    if not match:
        return None
    day, month, year, y2, m2, d2 = match.groups()
    try:
        return date(int(year or y2), int(month or m2), int(day or d2))
    except ValueError:
        return None


@dataclass(frozen=True)
class NameQuery:
    """A name typed in search: matched by prefix first, by similarity when nothing starts so.

    Prefix search ("karimov az" → "karimov aziz…") reads a b-tree range and stays fast at
    tens of millions of cards; the trigram fallback forgives typos and other word orders
    ("Aziz Karimov", "Karimof"), and is only paid for when the prefix finds nothing.
    """

    key: str

    def prefix(self) -> Q:
        return Q(search_name__startswith=self.key)

    def similar(self) -> Q:
        condition = Q()
        for word in self.key.split():
            condition &= Q(search_name__trigram_word_similar=word)
        return condition


def _identifier_filter(text: str) -> Q | None:
    """What was typed as an identifier, matched exactly; None when it is not one."""
    compact = normalise_med_id(text)
    if is_valid_med_id(compact):
        return Q(med_id=compact)
    if PINFL_RE.match(compact):
        return Q(pinfl=compact)
    birth_date = _parse_date(text)
    if birth_date:
        return Q(birth_date=birth_date)
    if text.startswith("+") or (compact.isdigit() and len(compact) >= 9):
        try:
            return Q(phone=normalise_phone(text))
        except ValidationError:
            return Q(pk__in=[])
    return None


def _page(cards, limit: int) -> tuple[list, bool]:
    rows = list(cards.order_by("search_name", "pk")[: limit + 1])
    return rows[:limit], len(rows) > limit


def search_cards(user: User, *, query: str = "", birth_date: date | None = None,
                 sex: str = "", cursor: str | None = None, limit: int = PAGE_SIZE) -> Page:
    """Cards the user may open that match, by name order, keyset-paginated."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    cards = visible_cards(user).select_related("attached_facility")
    if birth_date:
        cards = cards.filter(birth_date=birth_date)
    if sex:
        cards = cards.filter(sex=sex)
    mode = PREFIX
    if cursor:
        mode, after_name, after_pk = _decode_cursor(cursor)
        cards = cards.filter(Q(search_name__gt=after_name)
                             | Q(search_name=after_name, pk__gt=after_pk))
    text = query.strip()
    identifier = _identifier_filter(text) if text else None
    name = NameQuery(search_key(text)) if text and identifier is None else None
    if identifier is not None:
        page, more = _page(cards.filter(identifier), limit)
    elif name is None:
        page, more = _page(cards, limit)
    elif not name.key:
        page, more = [], False
    else:
        page, more = _page(cards.filter(name.prefix() if mode == PREFIX else name.similar()),
                           limit)
        if not page and not cursor and mode == PREFIX:
            mode = SIMILAR
            page, more = _page(cards.filter(name.similar()), limit)
    record_list_event(actor=user, action=AuditAction.SEARCH, object_type=CARD_OBJECT,
                      shown=[(card.med_id, card.med_id) for card in page], reason=query[:200])
    return Page(results=page, next_cursor=_encode_cursor(mode, page[-1]) if more else None)


def represented_cards(user: User) -> list[PatientCard]:
    """The children and wards a patient represents, whose cards they open as their own."""
    return list(PatientCard.objects.filter(pk__in=represented_card_ids(user))
                .exclude(status="merged").order_by("birth_date", "pk"))


def possible_duplicates(*, last_name: str, first_name: str, birth_date: date,
                        exclude_pk: int | None = None) -> list[PatientCard]:
    """Cards with the same folded name and birth date: shown before a new card is saved."""
    key = search_key(f"{last_name} {first_name}")
    cards = (PatientCard.objects.select_related("attached_facility")
             .filter(birth_date=birth_date, search_name__startswith=key)
             .exclude(status="merged").order_by("pk"))
    if exclude_pk:
        cards = cards.exclude(pk=exclude_pk)
    return list(cards[:10])


def card_access_log(user: User, med_id: str) -> list[AuditEvent]:
    """Who opened this card: for its patient, their representatives, and administrators."""
    if user.role not in (Role.PATIENT, Role.ADMINISTRATOR):
        record_audit_event(actor=user, action=AuditAction.VIEW, object_type=ACCESS_LOG_OBJECT,
                           object_id=med_id[:64], allowed=False,
                           reason="only the patient and administrators read the access log")
        raise PermissionDenied(_("Only the patient and administrators read who opened a card."))
    access = card_for(user, med_id, action=AuditAction.VIEW, object_type=ACCESS_LOG_OBJECT)
    med_ids = [access.card.med_id, *PatientCard.objects.filter(
        merged_into=access.card).values_list("med_id", flat=True)]
    events = list(
        AuditEvent.objects.filter(patient_med_id__in=med_ids, allowed=True)
        .exclude(object_type=ACCESS_LOG_OBJECT)
        .exclude(actor_id=access.card.user_id)
        .select_related("actor").order_by("-occurred_at")[:200]
    )
    names = dict(Facility.objects.filter(code__in={e.facility_code for e in events})
                 .values_list("code", "name"))
    for event in events:
        event.facility_name = names.get(event.facility_code, event.facility_code)
    return events




# --- system reads (routing events; nothing here is shown to anyone) ------------------------


def card_district(med_id: str | None) -> int | None:
    """The district id of the card with this MED-ID, when it has one."""
    if not med_id:
        return None
    return (PatientCard.objects.filter(med_id=med_id).values_list("district_id", flat=True)
            .first())


def own_card_district(user: User) -> int | None:
    """The district id of the card of a patient's own account, when it has one."""
    return (PatientCard.objects.filter(user=user).values_list("district_id", flat=True)
            .first())


def patients_own_cards(user: User):
    """The card ids a patient reads as their own: theirs and those they represent now (a
    subquery, for the lists of their home page)."""
    if user.role != Role.PATIENT:
        raise PermissionDenied
    return PatientCard.objects.filter(regular_scope(user).as_q()).values("pk")
