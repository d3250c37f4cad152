"""The home page's one write: remembering when a person last opened it."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from home.models import HomeVisit

# The session keeps the moment the home page counts "new" from, so that coming back to
# the page within a sitting (after opening a result) does not make it old news at once.
SESSION_KEY = "home_new_since"


@transaction.atomic
def new_since(*, user, session) -> object:
    """The moment after which things are new to this person: their previous visit to the
    home page, kept for the rest of the session; records this visit. None on the first."""
    if SESSION_KEY in session:
        stored = session[SESSION_KEY]
        return datetime.fromisoformat(stored) if stored else None
    visit = HomeVisit.objects.select_for_update().filter(user=user).first()
    since = visit.seen_at if visit else None
    HomeVisit.objects.update_or_create(user=user, defaults={"seen_at": timezone.now()})
    session[SESSION_KEY] = since.isoformat() if since else ""
    return since
