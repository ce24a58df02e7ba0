"""Object bytes through the framed stream: a writer that seals what it is given (the blob
gets the stream header, then the frames), and a reader that decrypts a plaintext range.
Both run in worker threads; the I/O is the caller's (a write or read callable)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from objstore.crypto import FrameSealer, open_stream

Write = Callable[[bytes], None]
Read = Callable[[int, int], bytes]


class SealingWriter:
    def __init__(self, data_key: bytes, write: Write) -> None:
        self._sealer = FrameSealer(data_key)
        self._write = write
        write(self._sealer.header())

    def write(self, data: bytes) -> None:
        sealed = self._sealer.feed(data)
        if sealed:
            self._write(bytes(sealed))

    def finish(self) -> None:
        """Seal the final frame (call once, after the last write)."""
        self._write(self._sealer.finish())


def decrypt_range(data_key: bytes, read: Read, plaintext_size: int, stored_size: int,
                  start: int, end: int) -> Iterator[bytes]:
    """Plaintext [start, end) of a sealed blob, authenticated frame by frame (IntegrityError
    on any tampering, before a single byte of the damaged frame is yielded)."""
    opener = open_stream(data_key, read, plaintext_size, stored_size)
    for piece in opener.decrypt_range(read, start, end):
        yield bytes(piece)
