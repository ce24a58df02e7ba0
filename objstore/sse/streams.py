"""Object bytes through the framed stream: a writer that seals what it is given (the blob
gets the stream header, then the frames), and a reader that decrypts a plaintext range.
Both run in worker threads; the I/O is the caller's (a write, read or readinto callable).

One data key gives one layer. DSSE-KMS gives two independent layers: the plaintext is
sealed as a framed stream under the first key, and that whole stream is sealed again, as
the plaintext of a second framed stream, under the second key. Each layer is a complete,
standard stream (its own header, salt and authentication), so either key alone opens
nothing, and a range read still decrypts only the frames it covers in each layer.

Per-byte costs are kept to the cipher itself: the writer seals into one reused buffer per
layer and hands it to `write` (which must consume it before returning: a file write, the
next layer's writer), and the reader reads stored bytes into one reused buffer per layer
and opens whole frames straight into the buffer it yields, so a layer costs one pass of
AES-GCM and no copies (DSSE's inner layer reads the outer one through the same path)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from objstore.crypto import FrameSealer, open_stream
from objstore.crypto.opener import BATCH_FRAMES, PlaintextReader, ReadInto, open_reader

Write = Callable[[bytes | memoryview], None]
Read = Callable[[int, int], bytes]
DataKeys = tuple[bytes, ...]   # inner layer first: (key,) or, for DSSE-KMS, (inner, outer)

WRITE_SLICE = 1024 * 1024   # plaintext sealed per call of the sink: bounds the reused buffer


class SealingWriter:
    """Seals what `write` is given under `keys` and passes the stored bytes to the sink,
    header first. The sink gets a view of a reused buffer: it must copy or write out the
    bytes before it returns, and must not keep the view."""

    def __init__(self, keys: DataKeys, write: Write) -> None:
        if not keys:
            raise ValueError("a sealed stream needs at least one data key")
        self._outer = SealingWriter(keys[1:], write) if len(keys) > 1 else None
        self._sink = self._outer.write if self._outer else write
        self._sealer = FrameSealer(keys[0])
        self._sink(self._sealer.header())

    def write(self, data: bytes | bytearray | memoryview) -> None:
        view = memoryview(data).cast("B")
        feed, sink = self._sealer.feed_view, self._sink
        for at in range(0, len(view), WRITE_SLICE):
            sealed = feed(view[at:at + WRITE_SLICE])
            if sealed:
                sink(sealed)

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


def open_layers(keys: DataKeys, readinto: ReadInto, plaintext_size: int, stored: int, *,
                batch_frames: int = BATCH_FRAMES) -> PlaintextReader:
    """A reader of the plaintext under every layer of a sealed blob: `readinto(offset,
    buffer)` reads the blob's stored bytes (`stored` of them, checked). The innermost
    layer reads the next one out through that layer's own reader, and so on outwards.
    Close it when done (it gives its buffers back, and closes the outer layers' readers)."""
    if not keys:
        raise ValueError("a sealed stream needs at least one data key")
    if len(keys) == 1:
        return open_reader(keys[0], readinto, plaintext_size, stored,
                           batch_frames=batch_frames)
    # this layer's stream is the plaintext of the outer layers
    source_size = FrameSealer.stored_size(plaintext_size)
    outer = open_layers(keys[1:], readinto, source_size, stored, batch_frames=batch_frames + 1)
    try:
        reader = open_reader(keys[0], outer.readinto, plaintext_size, source_size,
                             batch_frames=batch_frames)
    except BaseException:
        outer.close()
        raise
    return reader.closing(outer)


def decrypt_range(keys: DataKeys, read: Read, plaintext_size: int, stored: int,
                  start: int, end: int, *,
                  readinto: ReadInto | None = None) -> Iterator[bytearray]:
    """Plaintext [start, end) of a sealed blob, in new buffers of up to 1 MiB,
    authenticated frame by frame (IntegrityError on any tampering, before a single byte of
    the damaged frame is yielded). `readinto`, if given, is used instead of `read` (it
    saves a buffer and a copy per read)."""
    if readinto is None:
        if len(keys) == 1:   # the caller's buffers as they are: no copy
            opener = open_stream(keys[0], read, plaintext_size, stored)
            yield from opener.decrypt_range(read, start, end)
            return
        readinto = _readinto_from(read)
    with open_layers(keys, readinto, plaintext_size, stored) as reader:
        yield from reader.pieces(start, end)


def _readinto_from(read: Read) -> ReadInto:
    def readinto(offset: int, buffer: memoryview) -> int:
        data = read(offset, len(buffer))
        buffer[:len(data)] = data
        return len(data)
    return readinto
