from django.urls import path

from dmed.api.auth import CurrentUserView, ObtainTokenView

urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path("auth/me/", CurrentUserView.as_view(), name="api-me"),
]
