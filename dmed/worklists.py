"""A worklist: how many rows there are and one keyset page of them.

The role home pages show each panel with its count and its first rows, and page on from
there. A worklist is always a bounded set (today's appointments of a room, the open
visits of one clinician, the open orders of one laboratory), so counting it is cheap;
lists that grow without bound page with dmed.paging alone and count nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from dmed.paging import Page, keyset_page

WORKLIST_ROWS = 10


@dataclass
class Worklist:
    count: int
    page: Page

    @property
    def rows(self) -> list:
        return self.page.results


def worklist(queryset, *, order: tuple[str, ...], cursor: str | None = None,
             limit: int = WORKLIST_ROWS) -> Worklist:
    """Two queries, whatever the size: the count of the whole set and one page of it."""
    return Worklist(count=queryset.order_by().count(),
                    page=keyset_page(queryset, order=order, cursor=cursor, limit=limit))


def empty_worklist() -> Worklist:
    return Worklist(count=0, page=Page(results=[], next_cursor=None))
