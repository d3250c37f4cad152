"""API tokens: issued at each sign-in, ended by time, logout, a password change or the admin.

Every write to ApiToken is here (issue, use, revoke, clean up), so the authentication
class, the sign-in and logout endpoints, the admin and the periodic clean-up share one
rule of when a token is alive.

Signing out of the browser (/logout/) does not end the user's tokens, on purpose: the
browser never holds a token (pages use the session), tokens are held by integrations
(a laboratory's or a pharmacy's system signed in as a member of staff), and a person
ending their browser session expects that session to end, not the lab analyser's feed.
What ends everything is a password change, which a person who fears a leak makes; an
integration ends its own token with POST /api/v1/auth/logout/; an administrator revokes
any token in the admin.
"""

from __future__ import annotations

import copy
import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from dmed.audit import record_audit_event
from dmed.middleware import SEEN_REFRESH_SECONDS
from dmed.models import ApiToken, AuditAction, User
from dmed.recent import RecentAnswers

TOKEN_OBJECT = "dmed.apitoken"  # noqa: S105 — an audit object type, not a secret
# Tokens found alive, by key hash, with their users (dmed.recent bounds their age): an
# integration reading cards does not pay a query per request for who it is.
_alive = RecentAnswers("api tokens")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def idle_limit() -> timedelta:
    return timedelta(seconds=settings.API_TOKEN_IDLE_SECONDS)


def expires_at(token: ApiToken) -> datetime:
    """When the token ends if not used again: idle limit or absolute limit, the earlier."""
    return min(token.last_used_at + idle_limit(), token.expires_at)


def issue_token(user: User) -> tuple[ApiToken, str]:
    """A new token for a sign-in, and its key, which is shown once and never stored."""
    key = secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken.objects.create(
        key_hash=hash_key(key), prefix=key[:8], user=user,
        auth_hash=user.get_session_auth_hash(), created_at=now, last_used_at=now,
        expires_at=now + timedelta(seconds=settings.API_TOKEN_ABSOLUTE_SECONDS),
    )
    record_audit_event(actor=user, action=AuditAction.LOGIN, object_type=TOKEN_OBJECT,
                       object_id=token.prefix)
    return token, key


def _password_unchanged(token: ApiToken) -> bool:
    """The user's password is the one the token was issued under (as Django checks a
    session: the hash of the password hash, under the current or an earlier secret key)."""
    user = token.user
    if constant_time_compare(token.auth_hash, user.get_session_auth_hash()):
        return True
    return any(constant_time_compare(token.auth_hash, fallback)
               for fallback in user.get_session_auth_fallback_hash())


def live_token(key: str) -> ApiToken | None:
    """The token with this key and its user, if it is still alive; else None.

    No query on the hot path: the token and its user are reused for AUTH_CACHE_SECONDS
    (so a token revoked, a user deactivated or a password changed in another process is
    refused at the latest that much later; here, at once: `forget_tokens`). The time limits
    are checked on every request. "Last used" is written at most once a minute per token
    (SEEN_REFRESH_SECONDS, as the sessions' idle clock), and that write also finds a token
    revoked meanwhile. The idle limit is therefore exact to a minute.
    """
    if not key:
        return None
    key_hash = hash_key(key)
    token = _alive.get(key_hash, lambda: _load_alive(key_hash))
    now = timezone.now()
    if token is None or expires_at(token) <= now:
        return None
    if (now - token.last_used_at).total_seconds() >= SEEN_REFRESH_SECONDS:
        if not ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
                last_used_at=now):
            forget_tokens(token_id=token.pk)
            return None
        token.last_used_at = now
    # Each request its own copies: a request's code may note things on its user.
    answer = copy.copy(token)
    answer.user = copy.copy(token.user)
    return answer


def _load_alive(key_hash: str) -> ApiToken | None:
    token = next(iter(ApiToken.objects.select_related("user")
                      .filter(key_hash=key_hash, revoked_at__isnull=True)[:1]), None)
    if token is None or not token.user.is_active or not _password_unchanged(token):
        return None
    return token


def forget_tokens(*, token_id: int | None = None, user_id: int | None = None) -> None:
    """This process stops reusing what it knew of a token, or of a user's tokens."""
    _alive.forget(lambda _key, token: token.pk == token_id or token.user_id == user_id)


def revoke_token(token: ApiToken, *, by: User, reason: str = "") -> bool:
    """End one token now (logout, or an administrator); False if it had already ended."""
    ended = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now())
    forget_tokens(token_id=token.pk)
    if ended:
        record_audit_event(actor=by, action=AuditAction.LOGOUT, object_type=TOKEN_OBJECT,
                           object_id=token.prefix, reason=reason)
    return bool(ended)


def delete_ended_tokens() -> int:
    """Delete tokens past their idle or absolute limit (revoked ones included): the
    periodic clean-up. A revoked token stays listed in the admin until then."""
    now = timezone.now()
    deleted, _by_model = ApiToken.objects.filter(
        Q(expires_at__lte=now) | Q(last_used_at__lte=now - idle_limit())).delete()
    return deleted
