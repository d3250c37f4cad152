"""Clinical care's models. Django reads one models module per app: each topic keeps its
models in its own package and registers them here."""

from clinics.coding.models import *  # noqa: F401, F403
from clinics.labs.models import *  # noqa: F401, F403
from clinics.referrals.models import *  # noqa: F401, F403
from clinics.stays.models import *  # noqa: F401, F403
from clinics.visits.models import *  # noqa: F401, F403
