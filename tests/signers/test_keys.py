"""Ed25519 key material: PKCS#8 PEM and base64 seeds, reproduced from RFC 8032 and OpenSSL; every refusal."""

import base64

import pytest
from nacl.signing import SigningKey

from auth_plugins._keys import decode_ed25519_seed_b64, load_ed25519_pkcs8_pem
from tests.signers._vectors import (
    BACKPACK_SECRET,
    LEGACY_ENCRYPTED_PEM,
    OPENSSL_EC_P256_PKCS8_PEM,
    OPENSSL_EC_P256_TRADITIONAL_PEM,
    OPENSSL_ED25519_ENCRYPTED_PEM,
    OPENSSL_ED25519_PEM,
    OPENSSL_ED25519_PUBLIC_HEX,
    OPENSSL_ED25519_PUBLIC_PEM,
    OPENSSL_ED25519_SEED_HEX,
    OPENSSL_RSA_512_PKCS8_PEM,
    OPENSSL_RSA_TRADITIONAL_HEADER_PEM,
    OPENSSL_X25519_PKCS8_PEM,
    PKCS8_ED25519_PREFIX_HEX,
    RFC8032_TEST1_EMPTY_MESSAGE_SIGNATURE_HEX,
    RFC8032_TEST1_PEM,
    RFC8032_TEST1_PUBLIC_HEX,
    RFC8032_TEST1_SEED_HEX,
    SEED_64_BYTES_B64,
)

# --- Ed25519 key loading ------------------------------------------------------------------------------------


def test_rfc8032_pem_literal_is_prefix_plus_seed() -> None:
    body = RFC8032_TEST1_PEM.splitlines()[1]
    assert base64.b64decode(body) == bytes.fromhex(PKCS8_ED25519_PREFIX_HEX + RFC8032_TEST1_SEED_HEX)


def test_pem_loading_reproduces_rfc8032_test1_known_answer() -> None:
    # RFC 8032 7.1 TEST 1: the signature of the empty message and the public key.
    seed = load_ed25519_pkcs8_pem(RFC8032_TEST1_PEM)
    assert seed == bytes.fromhex(RFC8032_TEST1_SEED_HEX)
    key = SigningKey(seed)
    assert bytes(key.verify_key) == bytes.fromhex(RFC8032_TEST1_PUBLIC_HEX)
    assert key.sign(b"").signature == bytes.fromhex(RFC8032_TEST1_EMPTY_MESSAGE_SIGNATURE_HEX)


def test_pem_loading_matches_openssl() -> None:
    seed = load_ed25519_pkcs8_pem(OPENSSL_ED25519_PEM)
    assert seed == bytes.fromhex(OPENSSL_ED25519_SEED_HEX)
    assert bytes(SigningKey(seed).verify_key) == bytes.fromhex(OPENSSL_ED25519_PUBLIC_HEX)


def test_pem_loading_ignores_text_around_the_block_and_crlf() -> None:
    pem = "Key for tests\r\n" + RFC8032_TEST1_PEM.replace("\n", "\r\n") + "trailing note\r\n"
    assert load_ed25519_pkcs8_pem(pem) == bytes.fromhex(RFC8032_TEST1_SEED_HEX)


def test_seed_b64_decodes_rfc8032_seed() -> None:
    assert decode_ed25519_seed_b64(BACKPACK_SECRET) == bytes.fromhex(RFC8032_TEST1_SEED_HEX)


SEED_31_BYTES_B64 = base64.b64encode(bytes(range(31))).decode()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "empty"),
        ("nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A", "not valid base64"),  # padding missing
        ("nWGxne/9WmC6hEr0kuwsxERJ xWl7MmkZcDusAxyuf2A=", "not valid base64"),
        ("nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=\n", "not valid base64"),
        ("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=", "not valid base64"),  # url-safe alphabet
        ("ñWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=", "not valid base64"),
        (SEED_31_BYTES_B64, "exactly 32 bytes, got 31"),
        (SEED_64_BYTES_B64, "exactly 32 bytes, got 64"),
    ],
)
def test_bad_seed_b64(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as excinfo:
        decode_ed25519_seed_b64(value)
    if value:
        assert value not in str(excinfo.value) and value.strip() not in repr(excinfo.value)
    assert excinfo.value.__cause__ is None


PEM_BODY_NOT_BASE64 = """-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v!!!!guoRK9JLsLMREScVpezJpGXA7rAMcrn9g
-----END PRIVATE KEY-----
"""


@pytest.mark.parametrize(
    ("pem", "message"),
    [
        ("", "PEM is empty"),
        (b"", "PEM is empty"),
        ("   \n", "PEM is empty"),
        ("nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=", "no '-----BEGIN"),
        ("garbage\x00\xff", "no '-----BEGIN"),
        (b"\xff\xfe-----BEGIN PRIVATE KEY-----", "not ASCII"),
        (OPENSSL_ED25519_ENCRYPTED_PEM, "encrypted"),
        (LEGACY_ENCRYPTED_PEM, "encrypted"),
        (OPENSSL_RSA_512_PKCS8_PEM, "not an Ed25519 PKCS#8 private key"),
        (OPENSSL_RSA_TRADITIONAL_HEADER_PEM, "not an Ed25519 PKCS#8 private key"),
        (OPENSSL_EC_P256_PKCS8_PEM, "not an Ed25519 PKCS#8 private key"),
        (OPENSSL_EC_P256_TRADITIONAL_PEM, "not an Ed25519 PKCS#8 private key"),
        (OPENSSL_X25519_PKCS8_PEM, "not an Ed25519 PKCS#8 private key"),
        (OPENSSL_ED25519_PUBLIC_PEM, "not an Ed25519 PKCS#8 private key"),
        (RFC8032_TEST1_PEM.replace("-----END PRIVATE KEY-----", ""), "no matching '-----END PRIVATE KEY-----'"),
        (PEM_BODY_NOT_BASE64, "not valid base64"),
    ],
)
def test_bad_pem(pem: str | bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message) as excinfo:
        load_ed25519_pkcs8_pem(pem)
    text = pem.decode("latin-1") if isinstance(pem, bytes) else pem
    for line in text.splitlines():
        if len(line) >= 16 and not line.startswith("-----"):
            assert line not in str(excinfo.value)
    assert excinfo.value.__cause__ is None
