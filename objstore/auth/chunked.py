"""Incremental aws-chunked decoder with chunk and trailer signature verification (no I/O)."""

from __future__ import annotations

import hashlib
from enum import Enum, auto

from objstore.auth.errors import SIGNATURE_MISMATCH_S3, AuthError
from objstore.auth.request import AuthContext
from objstore.auth.sigv4 import (
    chunk_string_to_sign,
    same_signature,
    sign,
    trailer_string_to_sign,
)

MAX_LINE = 4096  # a chunk header or one trailer line
MAX_TRAILER_SECTION = 16 * 1024
TRAILER_SIGNATURE = "x-amz-trailer-signature"


class _State(Enum):
    HEADER = auto()  # expecting "<hex-size>[;chunk-signature=<sig>]\r\n"
    DATA = auto()  # inside a chunk's data
    DATA_END = auto()  # expecting the CRLF after a chunk's data
    TRAILER = auto()  # after the 0-size chunk: trailer lines up to an empty line
    DONE = auto()


class AwsChunkedDecoder:
    """Removes aws-chunked framing from a body fed in arbitrary pieces.

    Unsigned chunks are passed on as they arrive (memoryviews into the fed ``bytes``: do
    not mutate what you feed). Signed chunks (``signed=True``; ``ctx`` from a SigV4
    ``authenticate``) are held until their signature is verified, so a chunk is at most
    ``max_chunk`` bytes. ``expect_trailer`` is the ``x-amz-trailer`` header value (one
    trailer name) or None when the body has no trailer section; with ``signed=True`` the
    trailer section must carry a valid ``x-amz-trailer-signature``.
    """

    def __init__(
        self,
        ctx: AuthContext | None,
        *,
        signed: bool,
        expect_trailer: str | None,
        max_chunk: int = 16 * 1024 * 1024,
    ) -> None:
        self._signed = signed
        self._key, self._timestamp, self._scope, self._previous_signature = (
            _signing_state(ctx) if signed else (b"", "", "", "")
        )
        self._expect_trailer = expect_trailer.strip().lower() if expect_trailer else None
        self._max_chunk = max_chunk
        self._state = _State.HEADER
        self._line = bytearray()
        self._remaining = 0
        self._chunk = bytearray()
        self._chunk_signature = ""
        self._trailers: dict[str, str] = {}
        self._trailer_bytes = 0
        self.decoded_length = 0

    def feed(self, data: bytes) -> list[bytes | memoryview]:
        """Consume ``data``; return the decoded payload pieces it completed."""
        out: list[bytes | memoryview] = []
        view = memoryview(data)
        pos = 0
        while pos < len(data):
            if self._state is _State.DONE:
                raise _bad_chunk("data after the end of the aws-chunked body")
            if self._state is _State.DATA:
                pos = self._take_data(view, pos, out)
                continue
            line, pos = self._take_line(data, pos)
            if line is not None:
                self._on_line(line)
        return out

    def finish(self) -> dict[str, str]:
        """End of body: check the framing is complete and the trailer signature (signed
        form); return the trailers (lower-case name -> value, without the signature)."""
        if self._state is _State.TRAILER:
            # tolerated: the final CRLF (or the last trailer line's CRLF) is missing
            leftover = bytes(self._line).removesuffix(b"\r")
            self._line.clear()
            if leftover:
                self._add_trailer(leftover)
            self._state = _State.DONE
        if self._state is not _State.DONE:
            raise AuthError("incomplete_body", "The request body terminated unexpectedly")
        signature = self._trailers.pop(TRAILER_SIGNATURE, None)
        if self._signed and self._expect_trailer is not None:
            self._verify_trailer_signature(signature)
        if self._expect_trailer is not None and self._expect_trailer not in self._trailers:
            raise AuthError("malformed_trailer", _MALFORMED_TRAILER)
        return dict(self._trailers)

    def _take_line(self, data: bytes, pos: int) -> tuple[bytes | None, int]:
        """Accumulate up to the next LF; return the line without CRLF once complete."""
        end = data.find(b"\n", pos)
        stop = len(data) if end < 0 else end + 1
        if len(self._line) + stop - pos > MAX_LINE:
            raise _bad_chunk("aws-chunked header or trailer line too long")
        self._line += data[pos:stop]
        if end < 0:
            return None, stop
        line = bytes(self._line)
        self._line.clear()
        if not line.endswith(b"\r\n"):
            raise _bad_chunk("aws-chunked line not terminated by CRLF")
        return line[:-2], stop

    def _take_data(self, view: memoryview, pos: int, out: list[bytes | memoryview]) -> int:
        piece = view[pos : pos + self._remaining]
        self._remaining -= len(piece)
        if self._signed:
            self._chunk += piece
        else:
            out.append(piece)
            self.decoded_length += len(piece)
        if self._remaining == 0:
            if self._signed:
                self._verify_chunk(self._chunk)
                out.append(memoryview(self._chunk))
                self.decoded_length += len(self._chunk)
                self._chunk = bytearray()
            self._state = _State.DATA_END
        return pos + len(piece)

    def _on_line(self, line: bytes) -> None:
        if self._state is _State.HEADER:
            self._on_chunk_header(line)
        elif self._state is _State.DATA_END:
            if line:
                raise _bad_chunk("chunk data longer than its declared size")
            self._state = _State.HEADER
        elif line:  # TRAILER
            self._add_trailer(line)
        else:
            self._state = _State.DONE

    def _on_chunk_header(self, line: bytes) -> None:
        try:
            text = line.decode("ascii")
        except UnicodeDecodeError:
            raise _bad_chunk("invalid aws-chunked chunk header") from None
        size_text, *extensions = text.split(";")
        size_text = size_text.strip()
        if not size_text or len(size_text) > 16 or not _is_hex(size_text):
            raise _bad_chunk("invalid aws-chunked chunk size")
        size = int(size_text, 16)
        if self._signed:
            if size > self._max_chunk:
                raise _bad_chunk(f"aws-chunked chunk larger than {self._max_chunk} bytes")
            self._chunk_signature = _chunk_signature(extensions)
        if size == 0:
            if self._signed:
                self._verify_chunk(b"")
            self._state = _State.TRAILER
        else:
            self._remaining = size
            self._state = _State.DATA

    def _add_trailer(self, line: bytes) -> None:
        if self._expect_trailer is None:
            raise AuthError("malformed_trailer", _MALFORMED_TRAILER)
        self._trailer_bytes += len(line)
        if self._trailer_bytes > MAX_TRAILER_SECTION:
            raise _bad_chunk("aws-chunked trailer section too large")
        name, sep, value = line.decode("utf-8", "replace").partition(":")
        if not sep or not name.strip():
            raise _bad_chunk("invalid aws-chunked trailer line")
        self._trailers[name.strip().lower()] = value.strip()

    def _verify_chunk(self, data: bytes | bytearray) -> None:
        string_to_sign = chunk_string_to_sign(
            self._timestamp,
            self._scope,
            self._previous_signature,
            hashlib.sha256(data).hexdigest(),
        )
        self._previous_signature = self._check(string_to_sign, self._chunk_signature)

    def _verify_trailer_signature(self, provided: str | None) -> None:
        if provided is None:
            raise AuthError("chunk_signature", "The trailer signature is missing")
        string_to_sign = trailer_string_to_sign(
            self._timestamp, self._scope, self._previous_signature, self._trailers
        )
        self._check(string_to_sign, provided)

    def _check(self, string_to_sign: str, provided: str) -> str:
        """Compare with the provided signature; return the expected one (the next
        "previous signature")."""
        expected = sign(self._key, string_to_sign)
        if not same_signature(expected, provided):
            raise AuthError(
                "chunk_signature",
                SIGNATURE_MISMATCH_S3,
                {"StringToSign": string_to_sign, "SignatureProvided": provided},
            )
        return expected


def _signing_state(ctx: AuthContext | None) -> tuple[bytes, str, str, str]:
    """Signing key, timestamp, scope and seed signature of a SigV4 context."""
    if (
        ctx is None
        or ctx.signing_key is None
        or ctx.timestamp is None
        or ctx.scope is None
        or ctx.seed_signature is None
    ):
        raise ValueError("signed aws-chunked bodies need the AuthContext of a SigV4 request")
    return ctx.signing_key, ctx.timestamp, ctx.scope, ctx.seed_signature


def _chunk_signature(extensions: list[str]) -> str:
    for extension in extensions:
        name, _, value = extension.partition("=")
        if name.strip() == "chunk-signature":
            return value.strip()
    raise AuthError("chunk_signature", "The chunk signature is missing")


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in text)


_MALFORMED_TRAILER = ("The request contained trailing data that was not well-formed or did not "
                      "conform to our published schema.")


def _bad_chunk(message: str) -> AuthError:
    return AuthError("bad_chunk", message)
