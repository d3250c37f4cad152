"""Bulk writing for the synthetic-data commands: rows through PostgreSQL COPY, and the
closing line that says what was written how fast."""

from __future__ import annotations


def copy_rows(cursor, table: str, columns: tuple, rows) -> None:
    """Write rows (tuples in the order of `columns`) into `table` with COPY."""
    with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def written_summary(totals: dict[str, int], labels: dict[str, str], elapsed: float,
                    seed: int) -> str:
    """"12 visits, 3 audit rows in 1.0 s: 15 rows/s (seed 7).": the counts named in
    `labels` (total key → words, in order); the rate counts every row in `totals`."""
    counts = ", ".join(f"{totals[key]:,} {words}" for key, words in labels.items())
    rate = sum(totals.values()) / max(elapsed, 1e-9)
    return f"{counts} in {elapsed:.1f} s: {rate:,.0f} rows/s (seed {seed})."
