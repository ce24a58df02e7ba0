"""Sealed object streams with one layer and with DSSE-KMS's two: sizes, ranges, and that
each layer authenticates on its own."""

from __future__ import annotations

import io
import os
import time

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


def test_pieces_can_be_decrypted_into_the_consumers_spare_buffers() -> None:
    """`take` hands out the buffer each piece goes into: every byte of it is overwritten
    (a spare full of old bytes comes back holding exactly the new piece)."""
    keys = (os.urandom(32),)
    data = os.urandom(3 * 1024 * 1024 + 100)
    blob = _seal(keys, data)
    spares = [bytearray(b"\xaa" * (1024 * 1024)) for _ in range(4)]
    handed: list[int] = []

    def take(n: int) -> bytearray:
        buffer = spares.pop() if spares and len(spares[-1]) == n else bytearray(n)
        handed.append(id(buffer))
        return buffer

    with open_layers(keys, _readinto(blob), len(data), len(blob)) as reader:
        got = [bytes(p) for p in reader.pieces(take=take)]
    assert b"".join(got) == data
    assert len(set(handed[:3])) == 3 and len(spares) == 1  # three whole pieces reused one each


@pytest.mark.parametrize("slow", [False, True])
def test_large_encrypted_gets_are_exact_with_fast_and_slow_readers(s3, bucket: str,
                                                                    slow: bool) -> None:
    """The server decrypts later pieces into buffers it has already sent whole: whether the
    client drains the socket at once or lets it fill up (so the transport buffers), every
    byte arrives as stored, in every layer count."""
    data = os.urandom(7 * 1024 * 1024 + 12345)
    for sse in ({"ServerSideEncryption": "AES256"},
                {"ServerSideEncryption": "aws:kms:dsse"}):
        key = f"big-{sse['ServerSideEncryption']}"
        s3.put_object(Bucket=bucket, Key=key, Body=data, **sse)
        body = s3.get_object(Bucket=bucket, Key=key)["Body"]
        got = bytearray()
        while chunk := body.read(256 * 1024):
            got += chunk
            if slow and len(got) < 3 * 1024 * 1024:
                time.sleep(0.02)
        assert got == data
        ranged = s3.get_object(Bucket=bucket, Key=key, Range="bytes=1000-5000000")
        assert ranged["Body"].read() == data[1000:5000001]
