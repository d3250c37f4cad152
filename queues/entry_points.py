"""The queue's tiles on the role home pages (composed in home/pages.py)."""

from django.utils.translation import gettext_lazy as _

from dmed.home import EntryPoint

QUEUE_DESKS = EntryPoint(_("Queue desks"), "queue:index",
                         _("Today's waiting lines: call next, recall, transfer, complete."))
WALK_IN = EntryPoint(_("Walk-in ticket"), "queue:walk-in",
                     _("A numbered ticket for a person at the desk, with priority."))
BOOK = EntryPoint(_("Book an appointment"), "queue:book",
                  _("A free slot with a doctor or service, for a patient in your scope."))
MY_QUEUE = EntryPoint(_("My appointments and tickets"), "queue:my-queue",
                      _("Book your family doctor, check in, follow your place in the queue."))
