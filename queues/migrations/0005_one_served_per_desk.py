from django.conf import settings
from django.db import migrations, models
from django.db.models import Count


def close_tickets_left_behind(apps, schema_editor):
    """Before the rule, a desk could call again without finishing: of a person's called
    tickets at one point and day, the latest is the one being served; the earlier ones were
    left behind and are closed as closing time closes them."""
    Ticket = apps.get_model("queue", "Ticket")
    called = Ticket.objects.filter(status="called", called_by__isnull=False)
    desks = (called.values("service_point", "day", "called_by").annotate(n=Count("id"))
             .filter(n__gt=1))
    for desk in desks.iterator():
        tickets = list(called.filter(service_point=desk["service_point"], day=desk["day"],
                                     called_by=desk["called_by"])
                       .order_by("-called_at", "-id"))
        Ticket.objects.filter(pk__in=[t.pk for t in tickets[1:]]).update(
            status="closed", finished_at=tickets[0].called_at)


class Migration(migrations.Migration):

    dependencies = [
        ('clinics', '0021_lab_order_emergency_and_urgency_rank'),
        ('patients', '0008_break_glass_review'),
        ('queue', '0004_registry_models'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(close_tickets_left_behind, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='ticket',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'called')), fields=('service_point', 'day', 'called_by'), name='ticket_one_served_per_desk'),
        ),
    ]
