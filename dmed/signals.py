from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from dmed.api.tokens import forget_tokens
from dmed.audit import record_audit_event
from dmed.middleware import start_session_clock
from dmed.models import AuditAction, User


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        start_session_clock(request)
    record_audit_event(actor=user, action=AuditAction.LOGIN, object_type="dmed.user",
                       object_id=user.pk)


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        record_audit_event(actor=user, action=AuditAction.LOGOUT, object_type="dmed.user",
                           object_id=user.pk)


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    # The attempted username is kept as the object: it may not name a real account.
    record_audit_event(
        actor=None,
        action=AuditAction.LOGIN_FAILED,
        object_type="dmed.user",
        object_id=str(credentials.get("username", ""))[:64],
        allowed=False,
    )


@receiver(post_save, sender=User)
@receiver(post_delete, sender=User)
def forget_users_tokens(sender, instance, **kwargs):
    # Deactivated, or a new password: this process refuses the user's tokens at once.
    forget_tokens(user_id=instance.pk)
