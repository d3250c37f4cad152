from django.dispatch import Signal

# Sent inside the merge transaction with `source` and `target` cards and the `actor` who
# merges: apps whose records belong to a card (visits, prescriptions, queue tickets) move
# them to the target, and audit what else the merge changes in the actor's name.
card_merged = Signal()
