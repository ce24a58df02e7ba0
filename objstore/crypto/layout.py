"""Sizes and offsets: where each frame lives in the stored blob (pure arithmetic).

A stream of n plaintext bytes with frame size F has max(1, ceil(n / F)) frames: every frame
but the last holds exactly F bytes, the last holds 1..F bytes (0 only for the empty
stream). Each stored frame is its plaintext length + a 16-byte tag, so

    stored_size(n) = HEADER_SIZE + n + 16 * max(1, ceil(n / F))

and frame i starts at HEADER_SIZE + i * (F + 16).
"""

from __future__ import annotations

from typing import NamedTuple

from objstore.crypto.header import FRAME_SIZE, HEADER_SIZE, check_frame_size

TAG_SIZE = 16
MAX_FRAMES = 2**32  # the nonce's 4-byte frame index; 256 TiB at 64 KiB frames


def max_plaintext_size(frame_size: int = FRAME_SIZE) -> int:
    return MAX_FRAMES * frame_size


def frame_count(plaintext_size: int, frame_size: int = FRAME_SIZE) -> int:
    """How many frames a stream of `plaintext_size` bytes has (at least one)."""
    check_frame_size(frame_size)
    if plaintext_size < 0:
        raise ValueError("plaintext size must not be negative")
    if plaintext_size > max_plaintext_size(frame_size):
        raise ValueError(f"plaintext size {plaintext_size} exceeds the {MAX_FRAMES}-frame "
                         f"limit of a stream ({max_plaintext_size(frame_size)} bytes)")
    return max(1, -(-plaintext_size // frame_size))


def stored_size(plaintext_size: int, frame_size: int = FRAME_SIZE) -> int:
    """The exact length of the stored blob (header included) for `plaintext_size` bytes."""
    return HEADER_SIZE + plaintext_size + TAG_SIZE * frame_count(plaintext_size, frame_size)


def frame_offset(index: int, frame_size: int = FRAME_SIZE) -> int:
    """Where frame `index` starts in the stored blob."""
    return HEADER_SIZE + index * (frame_size + TAG_SIZE)


def frame_plaintext_size(index: int, plaintext_size: int, frame_size: int = FRAME_SIZE) -> int:
    """How many plaintext bytes frame `index` holds."""
    return min(frame_size, plaintext_size - index * frame_size)


class FrameSpan(NamedTuple):
    """The frames covering a plaintext range, and how to cut the range out of them.

    Read `stored_length` bytes at `stored_offset` (frames `first_frame`..`last_frame`, both
    included), open them, then keep plaintext[skip_head : skip_head + take]."""

    first_frame: int
    last_frame: int
    stored_offset: int
    stored_length: int
    skip_head: int
    take: int


def frames_for_range(plaintext_size: int, start: int, end: int,
                     frame_size: int = FRAME_SIZE) -> FrameSpan:
    """Map the plaintext range [start, end) (end exclusive; S3's `bytes=a-b` is [a, b+1)) to
    the stored frames that cover it.

    An empty range still covers one frame (the one holding `start`, or the last), so every
    read authenticates something: reading an empty object checks its empty final frame."""
    count = frame_count(plaintext_size, frame_size)
    if not 0 <= start <= end <= plaintext_size:
        raise ValueError(f"range [{start}, {end}) is outside a {plaintext_size}-byte stream")
    first = min(start // frame_size, count - 1)
    last = max(first, min((end - 1) // frame_size, count - 1))
    covered = min((last + 1) * frame_size, plaintext_size) - first * frame_size
    return FrameSpan(first_frame=first, last_frame=last,
                     stored_offset=frame_offset(first, frame_size),
                     stored_length=covered + TAG_SIZE * (last - first + 1),
                     skip_head=start - first * frame_size, take=end - start)
