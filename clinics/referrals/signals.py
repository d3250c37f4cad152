from django.dispatch import Signal

# Sent inside the transaction that declines or cancels a referral, with the `referral` and
# the `actor`: what was booked on the strength of it (queues) is withdrawn with it.
referral_withdrawn = Signal()
