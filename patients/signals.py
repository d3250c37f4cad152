from django.dispatch import Signal

# Sent inside the merge transaction with `source` and `target` cards and the `actor` who
# merges: apps whose records belong to a card (visits, prescriptions, queue tickets) move
# them to the target, and audit what else the merge changes in the actor's name.
card_merged = Signal()

# Sent inside the attachment's transaction with the `card` (its new attached_facility and
# family_doctor set): apps keeping lists by district (mch) move the card's rows with it.
card_attached = Signal()

# Sent inside the correction's transaction with the `card` (its new street set) and the
# `actor`, when its address changed: apps that go to the patient's door (patronage) follow.
card_address_changed = Signal()
