"""The pages a person sees of the apps acting for them: the consent screen of the
authorization endpoint (SMART App Launch, code with PKCE) and their connected apps, where
they revoke one. Thin: fhir.grants holds the rules and writes."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from oauth2_provider.exceptions import OAuthToolkitError
from oauth2_provider.models import get_application_model
from oauth2_provider.views import AuthorizationView
from oauthlib.oauth2.rfc6749.errors import InvalidRequestError, InvalidScopeError

from fhir import grants
from fhir.models import AppConsent


class ConsentView(AuthorizationView):
    """GET shows the app and the scopes it asks for in plain words; POST approves (`allow`)
    or denies, and the toolkit redirects to the app with a code or `access_denied`. A person
    may grant only their own context's scopes (a patient `patient/…`, staff `user/…`):
    anything beyond is refused to the app as `invalid_scope`, on both steps."""

    template_name = "fhir/consent.html"

    def _refuse(self, scopes, credentials) -> None:
        """Only S256 challenges (PKCE is required by the toolkit's settings; `plain` would
        hand the verifier to whoever sees the request), and the person's own scopes."""
        error = None
        if credentials.get("code_challenge_method") != "S256":
            error = InvalidRequestError(description="PKCE with code_challenge_method=S256 "
                                                    "is required.",
                                        state=credentials.get("state"))
        elif beyond := grants.scopes_beyond_role(self.request.user, scopes):
            error = InvalidScopeError(
                description=f"Scopes beyond the person's role: {' '.join(beyond)}",
                state=credentials.get("state"))
        if error is not None:
            raise OAuthToolkitError(error=error, redirect_uri=credentials.get("redirect_uri"))

    def validate_authorization_request(self, request):
        scopes, credentials = super().validate_authorization_request(request)
        self._refuse(scopes, credentials)
        return scopes, credentials

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        if redirect_uri := context.get("redirect_uri"):
            # The approval's answer redirects to the app (its registered URI, checked by
            # now): the browser applies form-action to that redirect too.
            parts = urlsplit(redirect_uri)
            response._csp_update = {"form-action": [f"{parts.scheme}://{parts.netloc}"]}
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["in_words"] = [grants.in_words(scope) for scope in kwargs.get("scopes", ())]
        return context

    def create_authorization_response(self, request, scopes, credentials, allow):
        scope_list = scopes.split()
        self._refuse(scope_list, credentials)
        with transaction.atomic():
            answer = super().create_authorization_response(request, scopes, credentials,
                                                           allow)
            # The toolkit raised if the person denied or the request was wrong: here the
            # code is issued, and the consent is recorded with it.
            application = get_application_model().objects.get(
                client_id=credentials["client_id"])
            grants.record_consent(user=request.user, application=application,
                                  scopes=scope_list)
        return answer


@login_required
def connected_apps(request):
    return render(request, "fhir/connected_apps.html",
                  {"consents": grants.consents_of(request.user)})


@login_required
@require_POST
def revoke(request, client_id: str):
    try:
        consent = grants.revoke_consent(user=request.user, client_id=client_id)
    except AppConsent.DoesNotExist as error:
        raise Http404 from error
    messages.success(request, _("%(app)s can no longer read your data.")
                     % {"app": consent.application.name})
    return redirect("fhir_apps:connected-apps")
