"""The admin's paginator for tables of millions of rows (cards, the audit trail)."""

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

# Below this many rows (by the estimate) a list is counted exactly: counting is cheap then,
# and a small table's estimate may be stale by a large fraction.
EXACT_BELOW = 100_000

# The table's rows as the planner last estimated them (ANALYZE, autovacuum); for a
# partitioned table its partitions' added up (autovacuum never analyses the parent, so the
# parent's own figure, if any, is stale).
ESTIMATE_SQL = """
SELECT CASE WHEN c.relkind = 'p' THEN (
           SELECT coalesce(sum(greatest(part.reltuples, 0)), 0) FROM pg_inherits i
           JOIN pg_class part ON part.oid = i.inhrelid WHERE i.inhparent = c.oid)
       ELSE greatest(c.reltuples, 0) END::bigint
FROM pg_class c WHERE c.oid = %(table)s::regclass
"""


class EstimatedCountPaginator(Paginator):
    """An unfiltered list takes the planner's estimate of the table's rows instead of
    counting them (COUNT(*) over 10^7 cards reads them all, about a second, on every page
    of the list); a filtered or searched list, far smaller as a rule, is counted."""

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not queryset.query.where:
            with connections[queryset.db].cursor() as cursor:
                cursor.execute(ESTIMATE_SQL, {"table": queryset.model._meta.db_table})
                estimate = cursor.fetchone()[0]
            if estimate >= EXACT_BELOW:
                return estimate
        return super().count
