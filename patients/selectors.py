"""Reads of cards that people see, always scoped to the acting user."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from django.core.exceptions import EmptyResultSet, PermissionDenied, ValidationError
from django.db import connection, connections
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dmed.audit import record_audit_event, record_list_event
from dmed.models import AuditAction, AuditEvent, User
from dmed.replica import lag_tolerant_db
from dmed.roles import Role
from dmed.translit import search_key
from dmed.worklists import Worklist, worklist
from patients.access import (
    ATTACHING_KINDS,
    CARD_OBJECT,
    GLIMPSE_OBJECT,
    CardGlimpse,
    Scope,
    Section,
    card_for,
    glimpse_by_identifier,
    regular_scope,
    represented_card_ids,
    sees,
    visible_cards,
    visible_scope,
)
from patients.hooks import banner_sources, hook
from patients.identifiers import is_valid_med_id, normalise_med_id, normalise_phone
from patients.models import (
    Allergy,
    Attachment,
    AttachmentRequest,
    AttachmentRequestStatus,
    BreakGlassGrant,
    ChronicCondition,
    ConditionStatus,
    GrantReview,
    IdentityDocument,
    PatientCard,
    Representation,
    Sex,
    at_facility,
    facility_name_words,
    name_words,
)
from registry.models import Facility
from registry.selectors import acting_staff_record

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
# A card's own columns the API answers as they are (patients.api.CardSerializer).
PLAIN_CARD_FIELDS = ("med_id", "status", "last_name", "first_name", "middle_name", "sex",
                     "pinfl", "phone", "street", "blood_group", "identification_notes",
                     "emergency_contact_name", "emergency_contact_phone")
ACCESS_LOG_OBJECT = "patients.access_log"
GRANT_OBJECT = "patients.break_glass_grant"
ATTACHMENT_REQUEST_OBJECT = "patients.attachment_request"
PINFL_RE = re.compile(r"^\d{14}$")
DATE_RE = re.compile(r"^(\d{2})\.(\d{2})\.(\d{4})$|^(\d{4})-(\d{2})-(\d{2})$")


@dataclass
class Page:
    results: list
    next_cursor: str | None
    # A card outside scope that an exact MED-ID or PINFL names (see glimpse_by_identifier).
    glimpse: CardGlimpse | None = None


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


# Candidate words a typed word may stand for, at most: what bounds the fuzzy search's
# reads however short or common the word (the likeliest kept, by trigram similarity).
MAX_CANDIDATE_WORDS = 30
# ...and of those, only the ones nearly as close to the whole typed word as the closest:
# "otabee" stands for "otabek", not for the patronymics "otabekovich" and "otabekovna"
# that merely contain it. Each candidate is a posting list the GIN reads; the patronymic
# forms doubled an administrator's typo search at 10^7 cards (24 ms of index reading).
CANDIDATE_CLOSENESS = 0.8
# Cards a fuzzy search reads per branch of the scope, at most, before sorting them by name:
# taken through the GIN of name words, never by walking the name order (which PostgreSQL
# prefers when it expects many matches, and which read 3.6 M rows for "Karimof Azis" at
# 10^7 cards when the matches sit late in the alphabet). Beyond it the page is in name
# order among the first MAX_SIMILAR_CARDS found: a typo that matches more must be typed
# more fully.
MAX_SIMILAR_CARDS = 500
CANDIDATE_WORDS_SQL = """
SELECT typed.word, candidate.word
FROM unnest(%s::text[]) AS typed(word)
CROSS JOIN LATERAL (
    SELECT likely.word FROM (
        SELECT nameword.word, similarity(typed.word, nameword.word) AS closeness,
               max(similarity(typed.word, nameword.word)) OVER () AS closest
        FROM patients_nameword AS nameword
        WHERE nameword.word %%> typed.word
        ORDER BY word_similarity(typed.word, nameword.word) DESC, nameword.word
        LIMIT %s
    ) AS likely
    WHERE likely.closeness >= %s * likely.closest
) AS candidate
"""


@dataclass(frozen=True)
class NameQuery:
    """A name typed in search: matched by prefix first, by similarity when nothing starts so.

    Prefix search ("karimov az" → "karimov aziz…") reads a b-tree range and stays fast at
    tens of millions of cards. The fallback forgives typos and other word orders ("Aziz
    Karimov", "Karimof"), and is only paid for when the prefix finds nothing: each typed
    word is looked up by trigram similarity in the dictionary of name words (NameWord, a
    few thousand rows where cards are millions), and a card matches when it holds one of
    the candidates of every typed word. The cards are read through the GIN index of their
    words (card_name_words; a polyclinic's own through card_facility_name_words), so the
    work is bounded by the cards that match, never a walk of the name order filtering
    millions (what `search_name %> word` on the cards did: 21-24 s for "Karimof Azis" at
    10^7 cards).
    """

    key: str

    def words(self) -> list[str]:
        return list(dict.fromkeys(self.key.split()))

    def prefix(self) -> Q:
        return Q(search_name__startswith=self.key)

    def held_by_someone(self, using: str) -> bool:
        """Whether any card at all has a name starting so: one probe of card_name_order.
        When none has, a scoped page of them cannot be found either, and the union of the
        scope's branches (about 10 ms of Django building it) is not built for nothing:
        what a misspelt name or one typed given name first always costs before the
        fallback."""
        return PatientCard.objects.using(using).filter(self.prefix()).exists()

    def similar(self, using: str) -> SimilarNames | None:
        """The candidates of every typed word; None when some word has none."""
        words = self.words()
        candidates: dict[str, list[str]] = {word: [] for word in words}
        with connections[using].cursor() as cursor:
            cursor.execute(CANDIDATE_WORDS_SQL,
                           [words, MAX_CANDIDATE_WORDS, CANDIDATE_CLOSENESS])
            for typed, candidate in cursor.fetchall():
                candidates[typed].append(candidate)
        if not all(candidates.values()):
            return None
        return SimilarNames(tuple(tuple(found) for found in candidates.values()))


@dataclass(frozen=True)
class SimilarNames:
    """Cards holding a candidate of every typed word (NameQuery.similar). Read with
    _page(similar=…): through a GIN, at most MAX_SIMILAR_CARDS per branch of the scope."""

    candidates: tuple[tuple[str, ...], ...]  # per typed word

    def within(self, cards, branch: Q | None):
        """Those of `cards` in one branch of the scope (None: every card). A polyclinic's
        branch reads its own cards' words (card_facility_name_words), which hold the
        polyclinic in every word, so the branch's own filter is not needed to find them.
        The words are aliased here only, where they are read: an alias on every subquery
        of the union cost more Python than the search cost PostgreSQL."""
        facility_id = _facility_of(branch)
        if facility_id is not None:  # what card_facility_name_words is made for
            return cards.alias(words=facility_name_words()).filter(
                Q(attached_facility__isnull=False),
                *(Q(words__overlap=at_facility(facility_id, found)) for found in self.candidates))
        return cards.alias(words=name_words()).filter(
            *(Q(words__overlap=list(found)) for found in self.candidates),
            *([] if branch is None else [branch]))


def _facility_of(branch: Q | None) -> int | None:
    """The polyclinic whose attached cards a branch of the scope is, when it is that."""
    if branch is not None and not branch.negated and len(branch.children) == 1:
        field, value = branch.children[0]
        if field == "attached_facility_id" and value is not None:
            return value
    return None


def _exact_identifier(text: str) -> Q | None:
    """A full, valid MED-ID or a PINFL: names at most one card."""
    compact = normalise_med_id(text)
    if is_valid_med_id(compact):
        return Q(med_id=compact)
    if PINFL_RE.match(compact):
        return Q(pinfl=compact)
    return None


def _identifier_filter(text: str) -> Q | None:
    """What was typed as an identifier, matched exactly; None when it is not one."""
    exact = _exact_identifier(text)
    if exact is not None:
        return exact
    compact = normalise_med_id(text)
    birth_date = _parse_date(text)
    if birth_date:
        return Q(birth_date=birth_date)
    if text.startswith("+") or (compact.isdigit() and len(compact) >= 9):
        try:
            return Q(phone=normalise_phone(text))
        except ValidationError:
            return Q(pk__in=[])
    return None


def search_registry(cards, text: str):
    """The cards an administrator's search in the registry (the Django admin) names, on
    the card table's indexes at any size: a MED-ID, PINFL, phone or birth date exactly;
    else a name that begins so, or that holds every typed word whole ("aziz karimov")."""
    text = text.strip()
    identifier = _identifier_filter(text)
    if identifier is not None:
        return cards.filter(identifier)
    key = search_key(text)
    if not key:
        return cards.none()
    return (cards.alias(name_words=name_words())
            .filter(Q(search_name__startswith=key)
                    | Q(name_words__contains=NameQuery(key).words())))


ORDER = ("search_name", "pk")


def _after(name: str, pk: int) -> Q:
    """Keyset: cards after (name, pk) in name order. The redundant `search_name >= name`
    is what an index range can start from; the OR alone would only filter."""
    return Q(search_name__gte=name) & (Q(search_name__gt=name) | Q(search_name=name, pk__gt=pk))


def _page(user: User, scope: Scope, condition: Q, *, using: str, limit: int,
          branched: bool = True, similar: SimilarNames | None = None) -> tuple[list, bool]:
    """The first `limit` visible cards meeting `condition` in name order (and whether more
    follow), in one query.

    Everything in scope (administrators): one walk of the name order. Otherwise each branch
    of the scope (the facility's cards, the family doctor's, temporary ones registered
    there, each set of patients in care) is its own subquery, ordered and cut to limit + 1
    on the index that starts with its own key (card_facility_name, card_doctor_name,
    card_temporary_name, the primary key for the sets), and the page is the first of their
    union. The OR of the branches in one WHERE, as visible_cards has it, leaves PostgreSQL
    one choice: walk every card of the name range and test each against every branch,
    which for a doctor searching a name held elsewhere reads every such card in the
    country. Same cards either way: the first limit + 1 of the union of all branches are
    among the first limit + 1 of each. A condition that names one card at most (an exact
    MED-ID or PINFL) needs no branches: `branched=False` keeps the one OR. `similar`: the
    fuzzy fallback's names; a branch that may hold millions of cards (every card, a
    polyclinic's) reads at most MAX_SIMILAR_CARDS ids of them through a GIN, then sorts
    them, and the small branches are read in name order.
    """
    base = visible_cards(user, Scope(everything=True)).using(using)

    def meeting(branch: Q | None):
        cards = base if branch is None else base.filter(branch)
        if similar is None:
            return cards.filter(condition)
        if branch is not None and _facility_of(branch) is None:
            # A family doctor's list, the temporary cards, a set of patients in care: a
            # few thousand cards at most, read in name order and tested as they come.
            return similar.within(cards.filter(condition), None)
        # Every card, or a polyclinic's: the ids first, through a GIN (no ORDER BY for
        # the planner to walk an index in), a bounded number; the caller sorts those.
        found = similar.within(base.filter(condition), branch).values("pk")
        return cards.filter(pk__in=found[:MAX_SIMILAR_CARDS])

    if scope.everything:
        cards = meeting(None)
    elif not branched:
        cards = visible_cards(user, scope).using(using).filter(condition)
    else:
        terms = scope.terms()
        if not terms:
            return [], False
        branches = [meeting(term).order_by(*ORDER).values("pk")[: limit + 1] for term in terms]
        union = branches[0].union(*branches[1:]) if len(branches) > 1 else branches[0]
        # Handed over as its SQL: resolved as a subquery, the union would be cloned and
        # relabelled whole once more, a third of a search's Python.
        try:
            union_sql = union.query.sql_with_params()
        except EmptyResultSet:  # every branch is empty whatever the cards
            return [], False
        cards = PatientCard.objects.using(using).filter(
            pk__in=RawSQL(*union_sql))  # noqa: S611 — the ORM's own SQL, with its params
    rows = list(cards.select_related("attached_facility")
                .order_by(*ORDER)[: limit + 1])
    return rows[:limit], len(rows) > limit


def search_cards(user: User, *, query: str = "", birth_date: date | None = None,
                 sex: str = "", cursor: str | None = None, limit: int = PAGE_SIZE) -> Page:
    """Cards the user may open that match, by name order, keyset-paginated."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    using = lag_tolerant_db(user)
    scope = visible_scope(user)
    condition = Q()
    if birth_date:
        condition &= Q(birth_date=birth_date)
    if sex:
        condition &= Q(sex=sex)
    mode = PREFIX
    if cursor:
        mode, after_name, after_pk = _decode_cursor(cursor)
        condition &= _after(after_name, after_pk)
    text = query.strip()
    identifier = _identifier_filter(text) if text else None
    name = NameQuery(search_key(text)) if text and identifier is None else None
    page, more = [], False
    if identifier is not None:
        page, more = _page(user, scope, condition & identifier, using=using, limit=limit,
                           branched=_exact_identifier(text) is None)
    elif name is None:
        page, more = _page(user, scope, condition, using=using, limit=limit)
    elif name.key:
        if mode == PREFIX and (cursor or (not scope.reaches_nothing()
                                          and name.held_by_someone(using))):
            page, more = _page(user, scope, condition & name.prefix(), using=using, limit=limit)
        if mode == SIMILAR or (not page and not cursor):
            mode = SIMILAR
            similar = name.similar(using)
            if similar is not None:
                page, more = _page(user, scope, condition, using=using, limit=limit,
                                   similar=similar)
    record_list_event(actor=user, action=AuditAction.SEARCH, object_type=CARD_OBJECT,
                      shown=[(card.med_id, card.med_id) for card in page], reason=query[:200])
    exact = _exact_identifier(text) if text and not page and not cursor else None
    return Page(results=page, next_cursor=_encode_cursor(mode, page[-1]) if more else None,
                glimpse=glimpse_by_identifier(user, exact) if exact is not None else None)


@dataclass(frozen=True)
class PinflHolder:
    med_id: str  # of the card in use: a merged card answers for the one it went into
    openable: bool  # may the user open it (else they are shown what they may do)
    merged: bool  # the PINFL is on a card merged into that one


def card_holding_pinfl(user: User, pinfl: str) -> PinflHolder | None:
    """The card a PINFL is on, among all cards (merged and temporary ones too), before a
    registration: the caller leads the user to it instead of registering a second card.
    Opening it, or the glimpse of it outside scope, is audited where the user is led."""
    if not pinfl:
        return None
    card = PatientCard.objects.filter(pinfl=pinfl).only("pk", "med_id", "merged_into").first()
    if card is None:
        return None
    merged = card.merged_into_id is not None
    while card.merged_into_id:
        card = PatientCard.objects.only("pk", "med_id", "merged_into").get(
            pk=card.merged_into_id)
    return PinflHolder(card.med_id, visible_cards(user).filter(pk=card.pk).exists(), merged)


def represented_cards(user: User) -> list[PatientCard]:
    """The children and wards a patient represents, whose cards they open as their own."""
    return list(PatientCard.objects.filter(pk__in=represented_card_ids(user))
                .exclude(status="merged").order_by("birth_date", "pk"))


def current_representatives(card_ids: list[int], on: date) -> dict[int, list[int]]:
    """The accounts representing each card on a day (card id -> user ids), in one query:
    what an event about a child names so the parents are told (no one is shown them)."""
    found: dict[int, list[int]] = {}
    for card_id, user_id in (Representation.objects
                             .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on),
                                     card_id__in=card_ids, valid_from__lte=on,
                                     representative__is_active=True)
                             .order_by("card_id", "representative_id")
                             .values_list("card_id", "representative_id")):
        found.setdefault(card_id, []).append(user_id)
    return found


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
    """Who opened this card: for its patient, their representatives, administrators and the
    national platform (the roles that see the access log)."""
    if not sees(user, Section.ACCESS_LOG):
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
        event.facility_name = names.get(event.facility_code, event.facility_code) or _("DMED")
        event.who = _who(event)
        event.what = _what(event)
    return events


_A = AuditAction
# What an access-log entry did, in the reader's words: by record kind and action.
ACCESS_LOG_WORDS = {
    (CARD_OBJECT, _A.VIEW): _("opened the card"),
    (CARD_OBJECT, _A.PRINT): _("printed the card"),
    (CARD_OBJECT, _A.CREATE): _("registered the card"),
    (CARD_OBJECT, _A.UPDATE): _("changed the card"),
    (CARD_OBJECT, _A.SEARCH): _("found the card in a search"),
    (CARD_OBJECT, _A.LIST): _("saw the card in a list"),
    (CARD_OBJECT, _A.BREAK_GLASS): _("broke the glass to open the card"),
    (GLIMPSE_OBJECT, _A.SEARCH): _("looked the card up by its MED-ID or PINFL"),
    ("patients.duplicate_candidate", _A.SEARCH): _("saw the card as a possible duplicate"),
    ("clinics.visit", _A.VIEW): _("read a visit"),
    ("clinics.visit", _A.LIST): _("listed the visits"),
    ("clinics.visit", _A.CREATE): _("opened a visit"),
    ("clinics.visit", _A.UPDATE): _("wrote in a visit"),
    ("clinics.visit_record", _A.VIEW): _("read a visit"),
    ("clinics.visit_addendum", _A.CREATE): _("added to a visit"),
    ("clinics.vital_signs", _A.VIEW): _("read the vital signs of a visit"),
    ("clinics.vital_signs", _A.LIST): _("listed the vital signs"),
    ("clinics.diagnosis", _A.VIEW): _("read a diagnosis"),
    ("clinics.diagnosis", _A.LIST): _("listed the diagnoses"),
    ("clinics.timeline", _A.VIEW): _("read the card's history"),
    ("clinics.stay", _A.VIEW): _("read a hospital stay"),
    ("clinics.stay", _A.LIST): _("listed the hospital stays"),
    ("clinics.stay", _A.CREATE): _("admitted to hospital"),
    ("clinics.stay", _A.UPDATE): _("wrote in a hospital stay"),
    ("clinics.lab_order", _A.VIEW): _("read lab orders"),
    ("clinics.lab_order", _A.CREATE): _("ordered lab tests"),
    ("clinics.lab_order", _A.LIST): _("saw a lab order in a list"),
    ("clinics.lab_result", _A.VIEW): _("read lab results"),
    ("clinics.lab_result", _A.CREATE): _("entered lab results"),
    ("clinics.lab_result", _A.UPDATE): _("released or corrected lab results"),
    ("clinics.lab_result", _A.EXPORT): _("downloaded lab results"),
    ("clinics.lab_result", _A.PRINT): _("printed lab results"),
    ("clinics.lab_result", _A.LIST): _("saw a lab result in a list"),
    ("clinics.referral", _A.VIEW): _("read referrals"),
    ("clinics.referral", _A.CREATE): _("referred the patient"),
    ("clinics.referral", _A.UPDATE): _("decided on a referral"),
    ("prescriptions.prescription", _A.VIEW): _("read a prescription"),
    ("prescriptions.prescription", _A.LIST): _("listed the prescriptions"),
    ("prescriptions.prescription", _A.CREATE): _("wrote a prescription"),
    ("prescriptions.prescription", _A.UPDATE): _("changed a prescription"),
    ("prescriptions.dispensing", _A.VIEW): _("read a dispensing receipt"),
    ("prescriptions.dispensing", _A.LIST): _("saw a dispensing receipt in a list"),
    (GRANT_OBJECT, _A.UPDATE): _("reviewed a break-the-glass opening"),
    (GRANT_OBJECT, _A.VIEW): _("read a break-the-glass opening"),
    (GRANT_OBJECT, _A.LIST): _("saw a break-the-glass opening in a list"),
    (ATTACHMENT_REQUEST_OBJECT, _A.CREATE): _("recorded a request of attachment"),
    (ATTACHMENT_REQUEST_OBJECT, _A.UPDATE): _("decided on a request of attachment"),
    (ATTACHMENT_REQUEST_OBJECT, _A.LIST): _("saw a request of attachment in a list"),
    ("queue.ticket", _A.CREATE): _("issued a queue ticket"),
    ("queue.ticket", _A.VIEW): _("read a queue ticket"),
    ("queue.ticket", _A.UPDATE): _("called or moved a queue ticket"),
    ("queue.ticket", _A.LIST): _("saw a queue ticket in a list"),
    ("queue.appointment", _A.CREATE): _("booked an appointment"),
    ("queue.appointment", _A.VIEW): _("read an appointment"),
    ("queue.appointment", _A.UPDATE): _("changed an appointment"),
    ("queue.appointment", _A.LIST): _("saw an appointment in a list"),
    ("mch.pregnancy", _A.VIEW): _("read the pregnancy record"),
    ("mch.pregnancy", _A.CREATE): _("registered a pregnancy"),
    ("mch.pregnancy", _A.UPDATE): _("wrote in the pregnancy record"),
    ("mch.immunisation", _A.VIEW): _("read the immunisation record"),
    ("mch.immunisation", _A.CREATE): _("recorded a vaccination"),
    ("mch.immunisation", _A.UPDATE): _("wrote in the immunisation record"),
    ("patronage.visit", _A.VIEW): _("opened a home visit"),
    ("patronage.visit", _A.LIST): _("saw a home visit in the nurse's route"),
    ("patronage.visit", _A.CREATE): _("recorded a home visit"),
    ("patronage.visit", _A.UPDATE): _("handed a home visit to another nurse"),
    ("patronage.care_listing", _A.VIEW): _("read the listing for care at home"),
    ("patronage.care_listing", _A.LIST): _("saw the listing for care at home in a list"),
    ("patronage.care_listing", _A.CREATE): _("put the patient on a list for care at home"),
    ("patronage.care_listing", _A.UPDATE): _("changed or ended the listing for care at home"),
}
SYSTEM_KEY = "api-key "  # how a pharmacy system's key is named in the trail's reason
DISPENSED = re.compile(r"^(?:api-key \S+ \S+ )?dispensed \S+: (?P<what>.+)$")


def _who(event: AuditEvent) -> str:
    if event.actor_id:
        return event.actor.full_name or event.actor.username
    if event.reason.startswith(SYSTEM_KEY):
        return str(_("the pharmacy's system"))
    return str(_("DMED, automatically"))


def _what(event: AuditEvent) -> str:
    dispensed = DISPENSED.match(event.reason)
    if dispensed:
        return str(_("dispensed %(what)s") % {"what": dispensed["what"]})
    words = ACCESS_LOG_WORDS.get((event.object_type, event.action))
    if words is not None:
        return str(words)
    return str(_("%(action)s: %(record)s") % {"action": event.get_action_display(),
                                               "record": event.object_type or "—"})




def access_log_lines(events: list[AuditEvent]) -> list[AuditEvent]:
    """The log as its patient reads it: a run of entries saying the same thing (who, as what,
    where, what, in the same minute) is one line with its count. A list that showed six of
    their visits leaves six events in the trail (each names its record); the patient reads
    one line, "6 records". A break-the-glass entry always stands alone, with its reason."""
    lines: list[AuditEvent] = []
    for event in events:
        last = lines[-1] if lines else None
        if last is not None and _same_line(last, event):
            last.times += 1
            continue
        event.times = 1
        lines.append(event)
    return lines


def _same_line(line: AuditEvent, event: AuditEvent) -> bool:
    def minute(moment):
        return timezone.localtime(moment).replace(second=0, microsecond=0)

    return (not line.break_glass and not event.break_glass
            and (line.actor_id, line.actor_role, line.facility_code, line.what)
            == (event.actor_id, event.actor_role, event.facility_code, event.what)
            and minute(line.occurred_at) == minute(event.occurred_at))


def break_glass_of_card(card: PatientCard) -> list[BreakGlassGrant]:
    """Every break-the-glass opening of the card (its patient reads them with the review)."""
    return list(BreakGlassGrant.objects.filter(card=card)
                .select_related("user", "facility", "reviewed_by").order_by("-granted_at")[:50])


def grants_to_review(user: User) -> list[BreakGlassGrant]:
    """The break-the-glass openings made at the facility this head acts for: awaiting review
    first, then the latest reviewed. Audited as a list: each names a patient."""
    record = _head_record(user)
    grants = BreakGlassGrant.objects.filter(facility_id=record.facility_id).select_related(
        "user", "card", "reviewed_by")
    pending = list(grants.filter(review=GrantReview.PENDING).order_by("granted_at")[:100])
    reviewed = list(grants.exclude(review=GrantReview.PENDING).order_by("-reviewed_at")[:30])
    record_list_event(actor=user, object_type=GRANT_OBJECT, list_id=record.facility.code,
                      shown=[(g.public_id, g.card.med_id) for g in pending + reviewed])
    return pending + reviewed


def _head_record(user: User):
    record = acting_staff_record(user)
    if record is None or not record.is_head:
        raise PermissionDenied(_("Only the head of the facility reviews break-the-glass."))
    return record


def is_head(user: User) -> bool:
    record = acting_staff_record(user)
    return record is not None and record.is_head


def _worklist_to_act_on(user: User, rows, *, order: tuple, cursor: str | None,
                        object_type: str) -> Worklist:
    """A home panel's worklist of records about patients, audited as a list."""
    listed = worklist(rows, order=order, cursor=cursor)
    record_list_event(actor=user, object_type=object_type, list_id="to act on",
                      shown=[(row.public_id, row.card.med_id) for row in listed.rows])
    return listed


def grants_awaiting_review(user: User, *, cursor: str | None = None) -> Worklist:
    """The head's worklist: break-the-glass openings at their facility not yet reviewed,
    oldest first (their home page's panel)."""
    record = _head_record(user)
    return _worklist_to_act_on(
        user, BreakGlassGrant.objects.filter(facility_id=record.facility_id,
                                             review=GrantReview.PENDING)
        .select_related("user", "card"), order=("granted_at", "pk"), cursor=cursor,
        object_type=GRANT_OBJECT)


def _deciding_record(user: User):
    """The post of a registrar or head who decides requests of attachment, or None."""
    record = acting_staff_record(user)
    if record is None or not (user.role == Role.REGISTRAR or record.is_head):
        return None
    return record


def _decider(user: User):
    record = _deciding_record(user)
    if record is None:
        raise PermissionDenied(_("The polyclinic's head or a registrar decides attachment "
                                 "requests."))
    return record


def decides_attachments(user: User) -> bool:
    """Registrars and heads of a polyclinic decide its requests of attachment."""
    record = _deciding_record(user)
    return record is not None and record.facility.kind in ATTACHING_KINDS


def attachment_requests_awaiting(user: User, *, cursor: str | None = None) -> Worklist:
    """Requests of attachment to the polyclinic awaiting its decision, oldest first (the
    home page's panel of its registrars and head)."""
    record = _decider(user)
    return _worklist_to_act_on(
        user, AttachmentRequest.objects.filter(facility_id=record.facility_id,
                                               status=AttachmentRequestStatus.PENDING)
        .select_related("card", "from_facility"), order=("created_at", "pk"), cursor=cursor,
        object_type=ATTACHMENT_REQUEST_OBJECT)


def attachment_requests_to_decide(user: User) -> list[AttachmentRequest]:
    """The requests of attachment to the polyclinic a registrar or its head acts for:
    awaiting decision first (oldest first), then the latest decided. Each names a person
    by name and birth date, as they applied here; audited as a list."""
    record = _decider(user)
    requests = AttachmentRequest.objects.filter(facility_id=record.facility_id).select_related(
        "card", "from_facility", "requested_by", "decided_by")
    pending = list(requests.filter(status=AttachmentRequestStatus.PENDING)
                   .order_by("created_at")[:100])
    decided = list(requests.exclude(status=AttachmentRequestStatus.PENDING)
                   .order_by("-decided_at")[:30])
    record_list_event(actor=user, object_type=ATTACHMENT_REQUEST_OBJECT,
                      list_id=record.facility.code,
                      shown=[(r.public_id, r.card.med_id) for r in pending + decided])
    return pending + decided


def attachment_requests_of_card(card: PatientCard) -> list[AttachmentRequest]:
    """A card's attachment requests, newest first, for a reader the page has let in."""
    return list(AttachmentRequest.objects.filter(card=card)
                .select_related("facility", "from_facility").order_by("-created_at")[:20])


def attachment_history(card: PatientCard) -> list[Attachment]:
    """Where the card has been attached, newest first, for a reader the page has let in."""
    return list(Attachment.objects.filter(card=card)
                .select_related("facility", "family_doctor").order_by("-started_at")[:50])


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


def reads_clinical_summary(user: User) -> bool:
    """Who reads the banner's clinical parts (allergies, problems, medicines, vitals): the
    need-to-know matrix's allergies and problems section. A registrar sees who the patient
    is only."""
    return sees(user, Section.ALLERGIES)


def with_catalogue_titles(conditions) -> list[ChronicCondition]:
    """The conditions, each with its ICD-10 title in the reader's language (one query
    through the coding catalogue's hook, none for an empty list)."""
    conditions = list(conditions)
    if conditions:
        titles = hook("ICD10_TITLES")({condition.icd10_code for condition in conditions})
        for condition in conditions:
            condition.catalogue_title = titles.get(condition.icd10_code, "")
    return conditions


@dataclass
class ClinicalBanner:
    card: PatientCard
    age: tuple[int, str] | None  # (number, "years" | "months")
    clinical: bool  # False: the reader may not see what follows
    allergies: list = field(default_factory=list)  # current ones, severe first
    no_known_allergies: bool = False  # recorded as such, not merely nothing listed
    problems: list = field(default_factory=list)  # active chronic conditions
    medicines: list = field(default_factory=list)
    vitals: object = None
    pregnancy: object = None  # the gestational age of an open pregnancy


def _age(birth_date: date | None, today: date) -> tuple[int, str] | None:
    if birth_date is None:
        return None
    months = (today.year - birth_date.year) * 12 + today.month - birth_date.month
    if today.day < birth_date.day:
        months -= 1
    return (months, "months") if months < 24 else (months // 12, "years")


def clinical_banner(user: User, card: PatientCard) -> ClinicalBanner:
    """The strip at the top of every page about one patient, for a reader the page has
    already let in (and audited): who the patient is, and for those who care for them the
    current allergies, active problems, current medicines, last vitals and the weeks of a
    pregnancy. One query for allergies, one for problems, one per source of other apps
    (settings.CLINICAL_BANNER_SOURCES; pregnancy for women only): a fixed few, however long
    the patient's history."""
    banner = ClinicalBanner(card=card, age=_age(card.birth_date, timezone.localdate()),
                            clinical=reads_clinical_summary(user))
    if not banner.clinical:
        return banner
    banner.allergies = sorted(
        Allergy.objects.filter(card=card, ended_at__isnull=True),
        key=lambda allergy: (not allergy.is_severe, allergy.substance.lower()))
    banner.no_known_allergies = not banner.allergies and card.no_known_allergies_at is not None
    banner.problems = with_catalogue_titles(
        ChronicCondition.objects.filter(card=card, status=ConditionStatus.ACTIVE))
    sources = banner_sources()
    banner.medicines = sources["medicines"](card)
    banner.vitals = sources["vitals"](card)
    if card.sex == Sex.FEMALE:
        banner.pregnancy = sources["pregnancy"](card)
    return banner


@dataclass
class ClinicalSummary:
    allergies: list  # current ones first, then ended ones, each with who recorded it
    conditions: list
    card: PatientCard  # with who stated "no known allergies"

    @property
    def current_allergies(self) -> list:
        return [allergy for allergy in self.allergies if allergy.is_active]


def clinical_summary(card: PatientCard) -> ClinicalSummary:
    """The card's allergies and chronic conditions with who recorded and changed each, for
    a reader the page has let in: three queries, however many there are."""
    people = ("recorded_by", "changed_by")
    allergies = sorted(Allergy.objects.filter(card=card).select_related(*people),
                       key=lambda allergy: (not allergy.is_active, not allergy.is_severe,
                                            allergy.substance.lower()))
    conditions = sorted(
        with_catalogue_titles(ChronicCondition.objects.filter(card=card).select_related(*people)),
        key=lambda condition: (not condition.is_active, condition.icd10_code))
    card = PatientCard.objects.select_related("no_known_allergies_by").get(pk=card.pk)
    return ClinicalSummary(allergies=allergies, conditions=conditions, card=card)


def patients_own_cards(user: User):
    """The card ids a patient reads as their own: theirs and those they represent now (a
    subquery, for the lists of their home page)."""
    if user.role != Role.PATIENT:
        raise PermissionDenied
    return PatientCard.objects.filter(regular_scope(user).as_q()).values("pk")


def answered_card(**key) -> PatientCard | None:
    """The card as the API answers it, by `med_id=` or `pk=`, in one query written once per
    process: its own columns, its registries' codes and its identity documents
    (`document_rows`). The API's most read answer: Django compiling this query (four joins
    and a subquery) anew was a third of a card read, and a family doctor's or a facility's
    whole row is not read to name it."""
    (column, value), = key.items()
    sql, card_fields, related = _answered_card_statement()
    with connection.cursor() as cursor:
        cursor.execute(sql[column], [value])
        row = cursor.fetchone()
    if row is None:
        return None
    card = PatientCard.from_db(connection.alias, card_fields, row[:len(card_fields)])
    rest = iter(row[len(card_fields):])
    for name, model, named_by in related:
        pk, value = next(rest), next(rest)
        if pk is not None:
            setattr(card, name, model.from_db(connection.alias, ["id", named_by], [pk, value]))
    documents = next(rest)
    card.document_rows = json.loads(documents) if isinstance(documents, str) else documents
    return card


# What the answer names each registry by (patients.api.CardSerializer).
_ANSWERED_REGISTRIES = (("attached_facility", "code"), ("family_doctor", "username"),
                        ("region", "code"), ("district", "code"))


@cache
def _answered_card_statement() -> tuple[dict, list[str], list]:
    meta = PatientCard._meta
    wanted = {*PLAIN_CARD_FIELDS, "id", "birth_date", "registered_at_id", "user_id",
              "merged_into_id", *(f"{name}_id" for name, _field in _ANSWERED_REGISTRIES)}
    # In the model's order, as Model.from_db takes a subset of its fields.
    loaded = [f for f in meta.concrete_fields if f.attname in wanted]
    quote = connection.ops.quote_name
    columns = [f"card.{quote(f.column)}" for f in loaded]
    joins, related = [], []
    for number, (name, named_by) in enumerate(_ANSWERED_REGISTRIES):
        model = meta.get_field(name).related_model
        alias = f"r{number}"
        columns += [f"{alias}.id", f"{alias}.{quote(model._meta.get_field(named_by).column)}"]
        joins.append(f"LEFT JOIN {quote(model._meta.db_table)} {alias} "
                     f"ON {alias}.id = card.{quote(meta.get_field(name).column)}")
        related.append((name, model, named_by))
    documents = quote(IdentityDocument._meta.db_table)
    columns.append("(SELECT coalesce(jsonb_agg(jsonb_build_object('kind', d.kind, "  # noqa: S608
                   "'number', d.number, 'country', d.country) ORDER BY d.id), '[]') "
                   f"FROM {documents} d WHERE d.card_id = card.id)")
    select = (f"SELECT {', '.join(columns)} FROM {quote(meta.db_table)} card "  # noqa: S608
              f"{' '.join(joins)} WHERE card.")
    return ({"med_id": select + "med_id = %s", "pk": select + "id = %s"},
            [f.attname for f in loaded], related)
