from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from home.pages import ENTRY_POINTS, GREETINGS
from registry.selectors import active_staff_records


@login_required
def home(request):
    user = request.user
    return render(
        request,
        "home/home.html",
        {
            "greeting": GREETINGS.get(user.role, ""),
            "entry_points": ENTRY_POINTS.get(user.role, []),
            "staff_records": active_staff_records(user),
        },
    )
