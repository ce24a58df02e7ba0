"""Sealed object streams with one layer and with DSSE-KMS's two: sizes, ranges, and that
each layer authenticates on its own."""

from __future__ import annotations

import io
import os

import pytest

from objstore.crypto import IntegrityError
from objstore.sse.streams import SealingWriter, decrypt_range, open_layers, stored_size

DATA = os.urandom(300_000)


def _seal(keys: tuple[bytes, ...], data: bytes) -> bytes:
    out = io.BytesIO()
    writer = SealingWriter(keys, out.write)
    for i in range(0, len(data), 50_000):
        writer.write(data[i:i + 50_000])
    writer.finish()
    return out.getvalue()


def _read(blob: bytes, keys: tuple[bytes, ...], start: int, end: int,
          size: int = len(DATA)) -> bytes:
    return b"".join(decrypt_range(keys, lambda o, n: blob[o:o + n], size, len(blob),
                                  start, end))


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("size", [0, 1, 65536, 300_000])
def test_round_trip_and_size(layers: int, size: int) -> None:
    keys = tuple(os.urandom(32) for _ in range(layers))
    blob = _seal(keys, DATA[:size])
    assert len(blob) == stored_size(keys, size)
    assert _read(blob, keys, 0, size, size) == DATA[:size]


def test_two_layer_ranges_cross_frames() -> None:
    keys = (os.urandom(32), os.urandom(32))
    blob = _seal(keys, DATA)
    for start, end in ((0, 1), (65530, 65542), (131000, 200000), (299_900, 300_000)):
        assert _read(blob, keys, start, end) == DATA[start:end]


def test_each_layer_needs_its_own_key() -> None:
    inner, outer = os.urandom(32), os.urandom(32)
    blob = _seal((inner, outer), DATA)
    for keys in ((outer, inner), (inner, inner), (outer, outer)):
        with pytest.raises(IntegrityError):
            _read(blob, keys, 0, 10)
    # the outer key alone yields only the inner layer's sealed stream, not the plaintext
    inner_stream = _read(blob, (outer,), 0, stored_size((inner,), len(DATA)),
                         stored_size((inner,), len(DATA)))
    assert DATA[:1000] not in inner_stream and DATA[-1000:] not in inner_stream
    assert _read(inner_stream, (inner,), 0, len(DATA)) == DATA


def test_a_flipped_byte_anywhere_fails_the_read() -> None:
    keys = (os.urandom(32), os.urandom(32))
    blob = bytearray(_seal(keys, DATA))
    for offset in (0, 30, 70_000, len(blob) - 1):
        damaged = bytearray(blob)
        damaged[offset] ^= 1
        with pytest.raises(IntegrityError):
            _read(bytes(damaged), keys, 0, len(DATA))


def _readinto(blob: bytes, log: list[tuple[int, int]] | None = None):
    def readinto(offset: int, buffer: memoryview) -> int:
        data = blob[offset:offset + len(buffer)]
        buffer[:len(data)] = data
        if log is not None:
            log.append((offset, len(data)))
        return len(data)
    return readinto


@pytest.mark.parametrize("layers", [1, 2])
def test_readinto_source_gives_the_same_bytes(layers: int) -> None:
    keys = tuple(os.urandom(32) for _ in range(layers))
    blob = _seal(keys, DATA)
    for start, end in ((0, len(DATA)), (0, 0), (65530, 65542), (131000, 200000),
                       (299_999, 300_000), (300_000, 300_000)):
        got = b"".join(decrypt_range(keys, lambda o, n: b"", len(DATA), len(blob), start, end,
                                     readinto=_readinto(blob)))
        assert got == DATA[start:end]


def test_dsse_reads_each_stored_byte_once() -> None:
    """The inner layer reads the outer one sequentially, in reads that do not fall on the
    outer layer's frame boundaries: still every stored byte is read (and opened) once."""
    keys = (os.urandom(32), os.urandom(32))
    data = os.urandom(3 * 1024 * 1024 + 5)
    blob = _seal(keys, data)
    log: list[tuple[int, int]] = []
    reader = open_layers(keys, _readinto(blob, log), len(data), len(blob))
    assert b"".join(reader.pieces()) == data
    assert sum(n for _, n in log) == len(blob)
    assert [offset for offset, _ in log] == sorted(offset for offset, _ in log)


def test_sealing_writer_slices_big_writes() -> None:
    """The sink sees at most about 1 MiB at a time, whatever the caller writes."""
    keys = (os.urandom(32), os.urandom(32))
    data = os.urandom(5 * 1024 * 1024)
    sizes: list[int] = []
    out = io.BytesIO()
    writer = SealingWriter(keys, lambda b: (sizes.append(len(b)), out.write(b)))
    writer.write(data)
    writer.finish()
    assert max(sizes) < 1024 * 1024 + 64 * 1024
    assert _read(out.getvalue(), keys, 0, len(data), len(data)) == data
