"""What this process reuses of FHIR tokens and registrations (fhir.authentication) is
forgotten as soon as this process changes it: a token revoked, a system client or a
person's app disabled or re-registered, an account deactivated. (A reused token carries its
application, and the application its person's-app registration.)"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from oauth2_provider.models import get_access_token_model, get_application_model

from dmed.models import User
from fhir.authentication import recent_registrations, recent_tokens
from fhir.models import FhirClient, PersonApp


@receiver(post_save, sender=get_access_token_model())
@receiver(post_delete, sender=get_access_token_model())
def forget_token(sender, instance, **kwargs):
    recent_tokens.forget(lambda _checksum, token: token.pk == instance.pk)


@receiver(post_save, sender=get_application_model())
@receiver(post_delete, sender=get_application_model())
@receiver(post_save, sender=FhirClient)
@receiver(post_delete, sender=FhirClient)
@receiver(post_save, sender=PersonApp)
@receiver(post_delete, sender=PersonApp)
def forget_client(sender, instance, **kwargs):
    application_id = instance.pk if sender is get_application_model() else instance.application_id
    recent_tokens.forget(lambda _checksum, token: token.application_id == application_id)
    recent_registrations.forget(lambda key, _client: key == application_id)


@receiver(post_save, sender=User)
@receiver(post_delete, sender=User)
def forget_account(sender, instance, **kwargs):
    recent_tokens.forget(lambda _checksum, token: instance.pk in (
        token.user_id, token.application.user_id))
    recent_registrations.forget(lambda _key, client: client.application.user_id == instance.pk)
