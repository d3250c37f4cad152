"""The card's timeline page. Thin: the selector decides what the user may see."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from clinics.timeline.selectors import card_timeline, timeline_groups


class TimelineFilter(forms.Form):
    kind = forms.MultipleChoiceField(label=_("kind"), required=False,
                                     widget=forms.CheckboxSelectMultiple)
    since = forms.DateField(label=_("from"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("until"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = timeline_groups(user)


@login_required
def timeline(request, med_id):
    form = TimelineFilter(request.GET, user=request.user)
    status = 200
    filters = form.cleaned_data if form.is_valid() else {}
    if form.errors:
        status = 400
    try:
        access, page = card_timeline(request.user, med_id, groups=filters.get("kind") or None,
                                     since=filters.get("since"), until=filters.get("until"),
                                     cursor=request.GET.get("cursor") or None)
    except ValidationError as error:
        form.add_error(None, error.messages)
        access, page = card_timeline(request.user, med_id)
        status = 400
    query = request.GET.copy()
    query.pop("cursor", None)
    return render(request, "clinics/timeline.html", {
        "card": access.card, "page": page, "form": form, "filter_query": query.urlencode(),
        "break_glass": access.break_glass}, status=status)
