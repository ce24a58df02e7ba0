"""Object bytes through the framed stream: a writer that seals what it is given (the blob
gets the stream header, then the frames), and a reader that decrypts a plaintext range.
Both run in worker threads; the I/O is the caller's (a write or read callable).

One data key gives one layer. DSSE-KMS gives two independent layers: the plaintext is
sealed as a framed stream under the first key, and that whole stream is sealed again, as
the plaintext of a second framed stream, under the second key. Each layer is a complete,
standard stream (its own header, salt and authentication), so either key alone opens
nothing, and a range read still decrypts only the frames it covers in each layer."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from objstore.crypto import FrameSealer, open_stream

Write = Callable[[bytes], None]
Read = Callable[[int, int], bytes]
DataKeys = tuple[bytes, ...]   # inner layer first: (key,) or, for DSSE-KMS, (inner, outer)


class SealingWriter:
    def __init__(self, keys: DataKeys, write: Write) -> None:
        if not keys:
            raise ValueError("a sealed stream needs at least one data key")
        self._outer = SealingWriter(keys[1:], write) if len(keys) > 1 else None
        self._sink = self._outer.write if self._outer else write
        self._sealer = FrameSealer(keys[0])
        self._sink(self._sealer.header())

    def write(self, data: bytes) -> None:
        sealed = self._sealer.feed(data)
        if sealed:
            self._sink(bytes(sealed))

    def finish(self) -> None:
        """Seal the final frame (call once, after the last write)."""
        self._sink(self._sealer.finish())
        if self._outer:
            self._outer.finish()


def stored_size(keys: DataKeys, plaintext_size: int) -> int:
    """Bytes on disk for `plaintext_size` bytes sealed under these layers."""
    size = plaintext_size
    for _ in keys:
        size = FrameSealer.stored_size(size)
    return size


def decrypt_range(keys: DataKeys, read: Read, plaintext_size: int, stored: int,
                  start: int, end: int) -> Iterator[bytes]:
    """Plaintext [start, end) of a sealed blob, authenticated frame by frame (IntegrityError
    on any tampering, before a single byte of the damaged frame is yielded)."""
    layer_read, layer_stored = read, stored
    if len(keys) > 1:   # this layer's stream is the plaintext of the outer layers
        inner_size = FrameSealer.stored_size(plaintext_size)

        def read_inner(offset: int, length: int) -> bytes:
            return b"".join(decrypt_range(keys[1:], read, inner_size, stored, offset,
                                          offset + length))

        layer_read, layer_stored = read_inner, inner_size
    opener = open_stream(keys[0], layer_read, plaintext_size, layer_stored)
    for piece in opener.decrypt_range(layer_read, start, end):
        yield bytes(piece)
