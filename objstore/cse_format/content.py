"""Content encryption: AES-256-GCM with a 12-byte IV, no additional data, the 16-byte tag
appended to the ciphertext (the S3 Encryption Client's AES/GCM/NoPadding), in one call or
streamed in slices so a large file never sits in memory."""

from __future__ import annotations

from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from objstore.cse_format.errors import ClientSideError

TAG_BYTES = 16
SLICE = 1 << 20
_TAMPERED = "the object failed authentication: it was changed, or this is not its key"


def encrypt(data_key: bytes, iv: bytes, plaintext: bytes) -> bytes:
    """Ciphertext || tag."""
    return AESGCM(data_key).encrypt(iv, plaintext, None)


def decrypt(data_key: bytes, iv: bytes, ciphertext: bytes) -> bytes:
    """The plaintext of ciphertext || tag; ClientSideError if anything was changed."""
    try:
        return AESGCM(data_key).decrypt(iv, ciphertext, None)
    except InvalidTag:
        raise ClientSideError(_TAMPERED) from None


class EncryptingReader:
    """A readable, non-seekable file object: the ciphertext || tag of `source`, made as it
    is read (what boto3's upload_fileobj streams, in parts when large)."""

    def __init__(self, source: BinaryIO, data_key: bytes, iv: bytes) -> None:
        self._source = source
        self._encryptor = Cipher(algorithms.AES(data_key), modes.GCM(iv)).encryptor()
        self._pending = bytearray()
        self._done = False

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def read(self, size: int | None = -1) -> bytes:
        wanted = -1 if size is None else size
        while not self._done and (wanted < 0 or len(self._pending) < wanted):
            chunk = self._source.read(SLICE if wanted < 0 else max(wanted, 64 * 1024))
            if chunk:
                self._pending += self._encryptor.update(chunk)
            else:
                self._pending += self._encryptor.finalize() + self._encryptor.tag
                self._done = True
        if wanted < 0 or wanted >= len(self._pending):
            out, self._pending = bytes(self._pending), bytearray()
            return out
        out = bytes(self._pending[:wanted])
        del self._pending[:wanted]
        return out


class StreamEncryptor:
    """Encrypts a stream given in slices of any size: `update` returns ciphertext as it
    goes, `finalize` the rest and the 16-byte tag (ciphertext || tag, as `encrypt`)."""

    def __init__(self, data_key: bytes, iv: bytes) -> None:
        self._encryptor = Cipher(algorithms.AES(data_key), modes.GCM(iv)).encryptor()

    def update(self, data: bytes) -> bytes:
        return self._encryptor.update(data)

    def finalize(self) -> bytes:
        return self._encryptor.finalize() + self._encryptor.tag


class StreamDecryptor:
    """Decrypts ciphertext || tag given in slices of any size: the last 16 bytes seen are
    held back as the tag. The plaintext `update` returns is not authenticated until
    `finalize` succeeds: keep it from anyone until then."""

    def __init__(self, data_key: bytes, iv: bytes) -> None:
        self._decryptor = Cipher(algorithms.AES(data_key), modes.GCM(iv)).decryptor()
        self._held = b""

    def update(self, data: bytes) -> bytes:
        buffer = self._held + data
        self._held = buffer[-TAG_BYTES:]
        return self._decryptor.update(buffer[:-TAG_BYTES]) if len(buffer) > TAG_BYTES \
            else b""

    def finalize(self) -> None:
        if len(self._held) < TAG_BYTES:
            raise ClientSideError("the object is shorter than its authentication tag")
        try:
            self._decryptor.finalize_with_tag(self._held)
        except InvalidTag:
            raise ClientSideError(_TAMPERED) from None
