import django_filters

from queues.models import ServicePoint, ServicePointKind


class ServicePointFilter(django_filters.FilterSet):
    facility = django_filters.CharFilter(field_name="facility__code")
    kind = django_filters.ChoiceFilter(choices=ServicePointKind.choices)

    class Meta:
        model = ServicePoint
        fields = ["facility", "kind"]
