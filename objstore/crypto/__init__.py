"""The framed AEAD stream format: how object bytes are encrypted at rest (pure, no I/O).

A stream is a 26-byte header followed by frames. The plaintext is cut into frames of
`frame_size` bytes (64 KiB); each is sealed on its own with AES-256-GCM, so a range read
decrypts only the frames it covers, and nothing is returned before its frame authenticated.

Stored blob (version 1):

    offset               size        field
    0                    4           magic b"OSFS"
    4                    1           version = 1
    5                    1           algorithm = 1 (AES-256-GCM, HKDF-SHA256 per-stream subkey)
    6                    4           frame size F, big-endian (65536)
    10                   16          salt, random per stream
    26 + i*(F+16)        n_i + 16    frame i: AES-256-GCM ciphertext of its n_i plaintext
                                     bytes, then the 16-byte tag

    n_i = F for every frame but the last; the last holds 1..F bytes, or 0 for an empty
    stream, which is one empty final frame. Frames: max(1, ceil(n / F)) <= 2**32.
    stored_size(n) = 26 + n + 16 * max(1, ceil(n / F))

Keys, nonces and AAD (for data key K, the caller's 32-byte key, and header bytes H):

    subkey || prefix = HKDF-SHA256(ikm=K, salt=salt, info=b"objstore framed stream" || H,
                                   length=32 + 8)
    nonce_i = prefix (8) || i (4 bytes, big-endian)
    aad_i   = H (26) || i (8 bytes, big-endian) || final (1 byte: 0x01 on the last frame,
              0x00 on every other)

What this buys:
- Drop, reorder or duplicate frames: frame i only opens at index i (nonce and AAD).
- Truncate: the frame that becomes last lacks the final flag; a stream cut to zero frames
  lacks the empty final frame; a frame cut short loses its tag. Telling the reader another
  plaintext size moves the final flag or the frame lengths: authentication fails. Bytes
  appended after the final frame change nothing a read returns; the stored size check
  (`open_stream(..., stored_size=)`, `FrameOpener.check_stored_size`) reports them.
- Splice from another stream (same data key): another salt means another subkey and
  prefix; a swapped or edited header changes the subkey and every frame's AAD.

Why a derived per-stream subkey rather than a bare random 8-byte nonce prefix: AES-GCM
breaks if a (key, nonce) pair repeats, and one data key can seal many streams (a multipart
part uploaded twice, a bucket-level key, SSE-C reusing the customer's key). With a random
64-bit prefix under the data key itself, two of q streams collide with probability about
q**2 / 2**65 (1 in 2**25 after a million streams under one key; a collision repeats every
nonce of the shorter stream), and every frame of every stream would count against one
key's GCM usage limits. With a fresh 128-bit salt per stream, a (subkey, nonce) pair
repeats only if two salts collide, about q**2 / 2**129 (2**-65 even after 2**32 streams
under one key), and each subkey seals at most 2**32 frames with distinct counter nonces.
The prefix is derived with the subkey (as TLS 1.3 derives its IV) so nonces are not
predictable across streams, which tightens GCM's multi-key bounds at no cost. HKDF costs
a few microseconds per stream.

Modules: `header` (StreamHeader, parse_header), `layout` (sizes, frames_for_range),
`cipher` (keys, nonces, AAD), `sealer` (FrameSealer), `opener` (FrameOpener; PlaintextReader,
random access into caller buffers through a readinto), `buffers` (scratch buffers reused
across streams), `errors` (IntegrityError, FormatError).
"""

from __future__ import annotations

from objstore.crypto.errors import FormatError, IntegrityError
from objstore.crypto.header import FRAME_SIZE, HEADER_SIZE, StreamHeader, parse_header
from objstore.crypto.layout import (
    MAX_FRAMES,
    TAG_SIZE,
    FrameSpan,
    frame_count,
    frames_for_range,
    stored_size,
)
from objstore.crypto.opener import (
    FrameOpener,
    PlaintextReader,
    open_reader,
    open_stream,
    read_header,
)
from objstore.crypto.sealer import FrameSealer

__all__ = [
    "FRAME_SIZE",
    "HEADER_SIZE",
    "MAX_FRAMES",
    "TAG_SIZE",
    "FormatError",
    "FrameOpener",
    "FrameSealer",
    "FrameSpan",
    "IntegrityError",
    "PlaintextReader",
    "StreamHeader",
    "frame_count",
    "frames_for_range",
    "open_reader",
    "open_stream",
    "parse_header",
    "read_header",
    "stored_size",
]
