"""Prescriber keys and prescription signatures (Ed25519, `cryptography`).

Private keys never leave the server and are stored encrypted (AES-256-GCM) under a key
derived from settings.PRESCRIBER_KEY_SECRET, with the key's public id as associated data,
so a ciphertext copied onto another key's row does not decrypt. The secret can rotate: keys
sealed under one of settings.PRESCRIBER_KEY_SECRET_FALLBACKS still open (and are sealed
again under the current secret by the caller). The signature covers a
canonical serialisation (sorted keys, no whitespace, UTF-8) of what the prescription
says; a pharmacy rebuilds it from the QR or the API and checks it with the public key
published at /api/v1/prescribers/keys/.
"""

from __future__ import annotations

import base64
import json
import os
from functools import lru_cache

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

ALGORITHM = "Ed25519"
NONCE_BYTES = 12
CONTENT_FORMAT = "dmed-rx/1"


@lru_cache(maxsize=4)
def _storage_key(secret: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"dmed prescriber private keys v1").derive(secret.encode())


class KeyUnreadable(Exception):
    """No server secret, current or earlier, decrypts this private key."""


def new_key_pair(key_id: str) -> tuple[bytes, bytes]:
    """(public key, encrypted private key) for a new prescriber key with this public id."""
    private = Ed25519PrivateKey.generate()
    raw = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                serialization.NoEncryption())
    public = private.public_key().public_bytes(serialization.Encoding.Raw,
                                               serialization.PublicFormat.Raw)
    return public, seal(raw, key_id)


def seal(private_key: bytes, key_id: str) -> bytes:
    """The private key encrypted under the current secret."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(_storage_key(settings.PRESCRIBER_KEY_SECRET)).encrypt(
        nonce, private_key, key_id.encode())


def unseal(encrypted_private_key: bytes, key_id: str) -> tuple[bytes, bool]:
    """(private key, whether it was sealed under the current secret)."""
    nonce, sealed = encrypted_private_key[:NONCE_BYTES], encrypted_private_key[NONCE_BYTES:]
    secrets = [settings.PRESCRIBER_KEY_SECRET, *settings.PRESCRIBER_KEY_SECRET_FALLBACKS]
    for number, secret in enumerate(secrets):
        try:
            private = AESGCM(_storage_key(secret)).decrypt(nonce, sealed, key_id.encode())
        except (InvalidTag, ValueError):
            continue
        return private, number == 0
    raise KeyUnreadable(key_id)


def sign(private_key: bytes, payload: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(private_key).sign(payload)


def verify(public_key: bytes, signature: bytes, payload: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(bytes(public_key)).verify(bytes(signature), payload)
    except (InvalidSignature, ValueError):
        return False
    return True


def canonical(content: dict) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(bytes(data)).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
