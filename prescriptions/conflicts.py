class PrescriptionConflict(Exception):
    """The request is well formed but the prescription's state refuses it (HTTP 409).

    `code` is a stable machine word pharmacy systems branch on: cancelled, dispensed,
    expired, not_yet_available, signature_invalid, over_quantity, item_not_dispensable,
    controlled_in_full, idempotency_key_reused, not_cancellable.
    """

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code
