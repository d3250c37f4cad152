from django.dispatch import Signal

# Sent inside the merge transaction with `source` and `target` cards: apps whose records
# belong to a card (visits, prescriptions, queue tickets) move them to the target.
card_merged = Signal()
