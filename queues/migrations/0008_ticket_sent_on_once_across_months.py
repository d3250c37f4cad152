""""A ticket is sent on at most once", held across the months of tickets again.

Partitioned by month (0007), the tickets' unique rules must include the day, so
`ticket_transferred_once` only held per day of the ticket sent on. As the dispensings'
Idempotency-Key (prescriptions 0013), the rule now lives in a side table,
queue_ticket_transfer, keyed by the ticket sent on and filled by a trigger in the new
ticket's INSERT: a second ticket from the same one fails there, on the key named
`ticket_transferred_once`, on any day. Triggers keep it in step when a ticket is deleted (the
bench deletes its tickets; the portal deletes none) or its `transferred_from_id` changes.
Existing transfers are copied in first; a database already holding a ticket sent on twice
stops the migration on the key. The per-day unique rule gives way to a plain index for
the way back from a ticket to its successor.

A ticket's month made later moves from the DEFAULT partition without its user triggers
running (dmed 0008), so its row here stays. The row has no foreign key into the ticket
(ticket_id, day): the move deletes the month's rows from the DEFAULT partition before it
attaches the month, and a key from another table into those rows refuses that delete at
once (the triggers keep the two in step instead).
"""

import django.db.models.deletion
from django.db import migrations, models

NAME_PARTITION_INDEXES = """
SELECT queue_ticket_partition_index_names(inhrelid::regclass::text) FROM pg_inherits
    WHERE inhparent = 'queue_ticket'::regclass;
"""

ONCE_ACROSS_MONTHS = """
ALTER TABLE queue_ticket DROP CONSTRAINT ticket_transferred_once;
CREATE INDEX ticket_transfer_source ON queue_ticket (transferred_from_id);
""" + NAME_PARTITION_INDEXES

ONCE_PER_DAY = """
DROP INDEX ticket_transfer_source;
ALTER TABLE queue_ticket ADD CONSTRAINT ticket_transferred_once UNIQUE (transferred_from_id, day);
""" + NAME_PARTITION_INDEXES

TRANSFERS = """
ALTER TABLE queue_ticket_transfer
    RENAME CONSTRAINT queue_ticket_transfer_pkey TO ticket_transferred_once;
INSERT INTO queue_ticket_transfer (transferred_from_id, ticket_id, day)
    SELECT transferred_from_id, id, day FROM queue_ticket WHERE transferred_from_id IS NOT NULL;
CREATE FUNCTION queue_ticket_transfer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.transferred_from_id IS NOT NULL THEN
        DELETE FROM queue_ticket_transfer WHERE transferred_from_id = OLD.transferred_from_id
                                            AND ticket_id = OLD.id;
    END IF;
    -- A ticket sent on already fails here, in the INSERT of the second one.
    IF TG_OP <> 'DELETE' AND NEW.transferred_from_id IS NOT NULL THEN
        INSERT INTO queue_ticket_transfer (transferred_from_id, ticket_id, day)
            VALUES (NEW.transferred_from_id, NEW.id, NEW.day);
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER queue_ticket_transfer AFTER INSERT ON queue_ticket
    FOR EACH ROW WHEN (NEW.transferred_from_id IS NOT NULL)
    EXECUTE FUNCTION queue_ticket_transfer();
CREATE TRIGGER queue_ticket_transfer_changed AFTER UPDATE OF transferred_from_id ON queue_ticket
    FOR EACH ROW WHEN (OLD.transferred_from_id IS DISTINCT FROM NEW.transferred_from_id)
    EXECUTE FUNCTION queue_ticket_transfer();
CREATE TRIGGER queue_ticket_transfer_deleted AFTER DELETE ON queue_ticket
    FOR EACH ROW WHEN (OLD.transferred_from_id IS NOT NULL)
    EXECUTE FUNCTION queue_ticket_transfer();
"""

NO_TRANSFERS = """
DROP TRIGGER queue_ticket_transfer_deleted ON queue_ticket;
DROP TRIGGER queue_ticket_transfer_changed ON queue_ticket;
DROP TRIGGER queue_ticket_transfer ON queue_ticket;
DROP FUNCTION queue_ticket_transfer();
"""


class Migration(migrations.Migration):

    dependencies = [
        ("queue", "0007_tickets_partitioned_by_month"),
    ]

    operations = [
        # The per-day rule first: its index holds the name the side table's key takes.
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(ONCE_ACROSS_MONTHS, ONCE_PER_DAY)],
            state_operations=[
                migrations.RemoveConstraint(model_name="ticket", name="ticket_transferred_once"),
                migrations.AddIndex(
                    model_name="ticket",
                    index=models.Index(fields=["transferred_from"],
                                       name="ticket_transfer_source"),
                ),
            ],
        ),
        migrations.CreateModel(
            name="TicketTransfer",
            fields=[
                ("transferred_from", models.OneToOneField(
                    db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING,
                    primary_key=True, related_name="+", serialize=False, to="queue.ticket")),
                ("ticket", models.ForeignKey(
                    db_constraint=False, db_index=False,
                    on_delete=django.db.models.deletion.DO_NOTHING, related_name="+",
                    to="queue.ticket")),
                ("day", models.DateField(editable=False)),
            ],
            options={
                "verbose_name": "ticket sent on",
                "verbose_name_plural": "tickets sent on",
                "db_table": "queue_ticket_transfer",
            },
        ),
        migrations.RunSQL(TRANSFERS, NO_TRANSFERS),
    ]
