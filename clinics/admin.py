"""Each topic registers its admin pages in its own package."""

import clinics.coding.admin  # noqa: F401
import clinics.labs.admin  # noqa: F401
import clinics.visits.admin  # noqa: F401
