"""Per-stream keys, nonces and AAD; sealing and opening single frames.

    subkey (32) || nonce prefix (8) = HKDF-SHA256(ikm=data key, salt=header salt,
                                                  info=b"objstore framed stream" || header)
    nonce(i) = nonce prefix || i as 4 bytes big-endian
    aad(i)   = header || i as 8 bytes big-endian || final flag (0x01 last frame, else 0x00)
    frame(i) = AES-256-GCM(subkey, nonce(i), plaintext_i, aad(i)) = ciphertext_i || tag_i
"""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from objstore.crypto.errors import IntegrityError
from objstore.crypto.header import StreamHeader

DATA_KEY_SIZE = 32
SUBKEY_SIZE = 32
NONCE_PREFIX_SIZE = 8
KDF_LABEL = b"objstore framed stream"
FINAL = b"\x01"
NOT_FINAL = b"\x00"

Buffer = bytes | bytearray | memoryview

# cryptography >= 45 seals and opens straight into a caller's buffer; older versions copy.
_INTO = hasattr(AESGCM, "encrypt_into")


def derive_stream_keys(data_key: Buffer, header: StreamHeader) -> tuple[bytes, bytes]:
    """(subkey, nonce prefix) of the stream with this header, under `data_key`."""
    if len(data_key) != DATA_KEY_SIZE:
        raise ValueError(f"data key must be {DATA_KEY_SIZE} bytes, not {len(data_key)}")
    okm = HKDF(algorithm=SHA256(), length=SUBKEY_SIZE + NONCE_PREFIX_SIZE, salt=header.salt,
               info=KDF_LABEL + header.encode()).derive(bytes(data_key))
    return okm[:SUBKEY_SIZE], okm[SUBKEY_SIZE:]


class StreamCipher:
    """AES-256-GCM under one stream's subkey: seals and opens frames by index."""

    __slots__ = ("_aead", "_header", "_prefix")

    def __init__(self, data_key: Buffer, header: StreamHeader) -> None:
        subkey, self._prefix = derive_stream_keys(data_key, header)
        self._aead = AESGCM(subkey)
        self._header = header.encode()

    def nonce(self, index: int) -> bytes:
        return self._prefix + index.to_bytes(4, "big")

    def aad(self, index: int, final: bool) -> bytes:
        return self._header + index.to_bytes(8, "big") + (FINAL if final else NOT_FINAL)

    def seal_into(self, index: int, final: bool, plaintext: Buffer, out: memoryview) -> None:
        """Write frame `index` (len(plaintext) + 16 bytes) into `out`, which is exactly
        that long."""
        nonce, aad = self.nonce(index), self.aad(index, final)
        if _INTO:
            self._aead.encrypt_into(nonce, plaintext, aad, out)
        else:
            out[:] = self._aead.encrypt(nonce, bytes(plaintext), aad)

    def open_into(self, index: int, final: bool, sealed: Buffer, out: memoryview) -> None:
        """Authenticate and decrypt frame `index` into `out` (len(sealed) - 16 bytes).

        On failure `out` is zeroed (it may have held unauthenticated plaintext) and
        `IntegrityError` is raised."""
        nonce, aad = self.nonce(index), self.aad(index, final)
        try:
            if _INTO:
                self._aead.decrypt_into(nonce, sealed, aad, out)
            else:
                out[:] = self._aead.decrypt(nonce, bytes(sealed), aad)
        except InvalidTag:
            out[:] = bytes(len(out))
            raise IntegrityError(f"frame {index} failed authentication (tampered, reordered, "
                                 "spliced, or the wrong key or size)", frame=index) from None

    # Runs of frames: the per-frame loop in one place, with as little Python per frame as
    # possible (at 64 KiB frames it is ~15% of the cost of a frame otherwise).

    def seal_run(self, first: int, frame_size: int, plaintext: memoryview,
                 out: memoryview) -> None:
        """Seal len(plaintext) // frame_size whole, non-final frames first, first+1, ...
        from `plaintext` into `out`, back to back (each frame_size + 16 bytes)."""
        if not _INTO:
            for k in range(len(plaintext) // frame_size):
                self.seal_into(first + k, False, plaintext[k * frame_size:(k + 1) * frame_size],
                               out[k * (frame_size + 16):(k + 1) * (frame_size + 16)])
            return
        encrypt, prefix, header = self._aead.encrypt_into, self._prefix, self._header
        src = dst = 0
        for index in range(first, first + len(plaintext) // frame_size):
            encrypt(prefix + index.to_bytes(4, "big"), plaintext[src:src + frame_size],
                    header + index.to_bytes(8, "big") + NOT_FINAL,
                    out[dst:dst + frame_size + 16])
            src += frame_size
            dst += frame_size + 16

    def open_run(self, first: int, frame_size: int, final: int, sealed: memoryview,
                 out: memoryview) -> None:
        """Open the frames first, first+1, ... stored back to back in `sealed` into `out`,
        back to back: each holds `frame_size` bytes but the run's last, which holds what is
        left of `out` (0 only for an empty stream's one frame). `final` is the index of the
        stream's final frame. On failure the failed frame's share of `out` is zeroed and
        IntegrityError raised (the frames before it did authenticate)."""
        decrypt, prefix, header = self._aead.decrypt_into, self._prefix, self._header
        end, src, dst, index = len(out), 0, 0, first
        while True:
            n = min(frame_size, end - dst)
            if not _INTO:
                self.open_into(index, index == final, sealed[src:src + n + 16],
                               out[dst:dst + n])
            else:
                try:
                    decrypt(prefix + index.to_bytes(4, "big"), sealed[src:src + n + 16],
                            header + index.to_bytes(8, "big")
                            + (FINAL if index == final else NOT_FINAL), out[dst:dst + n])
                except InvalidTag:
                    out[dst:dst + n] = bytes(n)
                    raise IntegrityError(f"frame {index} failed authentication (tampered, "
                                         "reordered, spliced, or the wrong key or size)",
                                         frame=index) from None
            src += n + 16
            dst += n
            index += 1
            if dst >= end:
                return

