"""Parsing of Ed25519 key material.

Every function raises ``ValueError`` with a message that says what is wrong with the input. Messages never
include the input itself, and the original decoding error is suppressed (``from None``) so that a traceback
cannot carry key material either.
"""

import base64
import binascii

__all__ = ["decode_ed25519_seed_b64", "load_ed25519_pkcs8_pem", "mask_api_key"]

ED25519_SEED_LENGTH = 32

# DER of an unencrypted PKCS#8 v1 PrivateKeyInfo for Ed25519 (RFC 8410), up to the 32-byte seed:
# SEQUENCE(46) { INTEGER 0, SEQUENCE(5) { OID 1.3.101.112 }, OCTET STRING(34) { OCTET STRING(32) { seed } } }
_PKCS8_ED25519_PREFIX = bytes.fromhex("302e020100300506032b657004220420")
_PKCS8_ED25519_LENGTH = len(_PKCS8_ED25519_PREFIX) + ED25519_SEED_LENGTH

_PEM_BEGIN = "-----BEGIN "
_PEM_END = "-----END "
_PEM_DASHES = "-----"


def decode_ed25519_seed_b64(value: str) -> bytes:
    """Decode a standard-base64 Ed25519 seed and return its 32 raw bytes.

    Raises ``ValueError`` if ``value`` is empty, is not strict base64 (no whitespace or foreign characters
    allowed), or does not decode to exactly 32 bytes.
    """
    if not value:
        raise ValueError("Ed25519 seed is empty")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("Ed25519 seed is not valid base64") from None
    if len(raw) != ED25519_SEED_LENGTH:
        raise ValueError(f"Ed25519 seed must decode to exactly {ED25519_SEED_LENGTH} bytes, got {len(raw)}")
    return raw


def load_ed25519_pkcs8_pem(pem: str | bytes) -> bytes:
    """Return the 32-byte seed of an unencrypted PKCS#8 Ed25519 private key in PEM form.

    Accepts exactly one shape: a ``-----BEGIN PRIVATE KEY-----`` block (text outside the block is ignored)
    whose base64 body decodes to the 48-byte DER ``302e020100300506032b657004220420 || seed``, which is what
    ``openssl genpkey -algorithm ed25519`` writes. Raises ``ValueError`` for an empty or non-PEM input, an
    encrypted key, any other key type (RSA, EC, X25519, ...), a public key, or a malformed body.
    """
    if isinstance(pem, bytes):
        try:
            text = pem.decode("ascii")
        except UnicodeDecodeError:
            raise ValueError("PEM is not ASCII text") from None
    else:
        text = pem
    if not text.strip():
        raise ValueError("PEM is empty")

    lines = [line.strip() for line in text.splitlines()]
    begin = next((i for i, line in enumerate(lines) if line.startswith(_PEM_BEGIN)), None)
    if begin is None or not lines[begin].endswith(_PEM_DASHES):
        raise ValueError("PEM has no '-----BEGIN ...-----' line")
    label = lines[begin][len(_PEM_BEGIN) : -len(_PEM_DASHES)]
    if "ENCRYPTED" in label:
        raise ValueError("PEM is an encrypted private key; an unencrypted PKCS#8 Ed25519 key is required")
    if label != "PRIVATE KEY":
        raise ValueError("PEM is not an Ed25519 PKCS#8 private key")
    end_line = f"{_PEM_END}{label}{_PEM_DASHES}"
    try:
        end = lines.index(end_line, begin + 1)
    except ValueError:
        raise ValueError("PEM has no matching '-----END PRIVATE KEY-----' line") from None

    body_lines = lines[begin + 1 : end]
    # RFC 1421 headers ("Proc-Type: 4,ENCRYPTED", "DEK-Info: ...") only appear in encrypted legacy PEM.
    if any(":" in line for line in body_lines):
        raise ValueError("PEM is an encrypted private key; an unencrypted PKCS#8 Ed25519 key is required")
    try:
        der = base64.b64decode("".join(body_lines), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("PEM body is not valid base64") from None
    if len(der) != _PKCS8_ED25519_LENGTH or not der.startswith(_PKCS8_ED25519_PREFIX):
        raise ValueError("PEM is not an Ed25519 PKCS#8 private key")
    return der[len(_PKCS8_ED25519_PREFIX) :]


def mask_api_key(api_key: str) -> str:
    """Return ``api_key`` shortened for display, e.g. ``vmPU…Eh8A``; keys under 16 characters become ``…``."""
    if len(api_key) < 16:
        return "…"
    return f"{api_key[:4]}…{api_key[-4:]}"
