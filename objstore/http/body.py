"""Request bodies, streamed: aws-chunked framing removed, hashed, handed to a sink in
1 MiB slices, all per-byte work in a worker thread, and verified at the end against
Content-Length, x-amz-content-sha256, Content-MD5 and x-amz-checksum-* (header or trailer).

Nothing is verified until the last byte has arrived, so a sink must not make what it
wrote visible before `receive` returns: storage publishes a blob only after.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field

from aiohttp import web
from multidict import CIMultiDictProxy

from objstore.auth.chunked import AwsChunkedDecoder
from objstore.auth.verify import AuthContext
from objstore.http.errors import S3Error, invalid_argument
from objstore.integrity import checksums
from objstore.integrity.digests import DEFAULT_CHECKSUM, BodyDigests

SLICE = 1024 * 1024
PARALLEL_FROM = 256 * 1024  # slices this large hash MD5 beside the other digests
MAX_OBJECT_SIZE = 5 * 1024**3
UNSIGNED = "UNSIGNED-PAYLOAD"
STREAMING_SIGNED = ("STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER")
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"

Sink = Callable[[bytes], None]


@dataclass
class BodyPlan:
    """What the headers promise about the body, checked before a byte is read."""

    size: int                        # object bytes expected (decoded length for aws-chunked)
    wire_length: int | None          # Content-Length on the wire, if given
    payload_hash: str | None         # hex SHA-256 to verify, if signed that way
    chunked: bool                    # aws-chunked framing
    signed_chunks: bool
    trailer: str | None              # x-amz-trailer name
    content_md5: bytes | None
    algorithm: str                   # the x-amz-checksum-* algorithm stored with the object
    expected_checksum: str | None    # its value from a header (None: computed or trailer)
    explicit_checksum: bool          # did the client ask for that algorithm


@dataclass
class BodyResult:
    size: int
    md5: bytes
    checksums: dict[str, str] = field(default_factory=dict)

    @property
    def etag(self) -> str:
        return self.md5.hex()


def plan_body(headers: CIMultiDictProxy[str], auth: AuthContext, *,
              max_size: int = MAX_OBJECT_SIZE, checksum_headers: bool = True) -> BodyPlan:
    """checksum_headers=False: the x-amz-checksum-* headers are not about this body (in
    CompleteMultipartUpload they describe the object being assembled)."""
    mode = auth.payload_mode
    chunked = mode.startswith("STREAMING-")
    raw_length = headers.get("Content-Length")
    wire_length = _parse_length(raw_length) if raw_length is not None else None
    if chunked:
        decoded = headers.get("x-amz-decoded-content-length")
        if decoded is None:
            raise S3Error("MissingContentLength")
        size = _parse_length(decoded)
    else:
        if wire_length is None:
            raise S3Error("MissingContentLength")
        size = wire_length
    if size > max_size:
        raise S3Error("EntityTooLarge", ProposedSize=str(size), MaxSizeAllowed=str(max_size))
    algorithm, expected, explicit, trailer = (
        _checksum_plan(headers, chunked) if checksum_headers
        else (DEFAULT_CHECKSUM, None, False, None))
    return BodyPlan(
        size=size, wire_length=wire_length,
        payload_hash=None if chunked or mode == UNSIGNED else mode.lower(),
        chunked=chunked, signed_chunks=mode in STREAMING_SIGNED, trailer=trailer,
        content_md5=_content_md5(headers.get("Content-MD5")), algorithm=algorithm,
        expected_checksum=expected, explicit_checksum=explicit,
    )


class BodyProcessor:
    """The per-byte work on a body, slice by slice: aws-chunked decoding, digests, the sink.
    Its methods run in worker threads; one slice at a time, except that `md5` and `rest` of
    the same slice may run at once (they touch different state)."""

    def __init__(self, plan: BodyPlan, auth: AuthContext, sink: Sink) -> None:
        self.plan = plan
        self._sink = sink
        self._digests = BodyDigests(sha256=plan.payload_hash is not None,
                                    algorithms=(plan.algorithm,))
        self._decoder = (AwsChunkedDecoder(auth if plan.signed_chunks else None,
                                           signed=plan.signed_chunks,
                                           expect_trailer=plan.trailer)
                         if plan.chunked else None)

    def decode(self, data: bytes) -> list[bytes | memoryview]:
        return self._decoder.feed(data) if self._decoder is not None else [data]

    def md5(self, pieces: list[bytes | memoryview]) -> None:
        for piece in pieces:
            self._digests.update_md5(piece)

    def rest(self, pieces: list[bytes | memoryview]) -> None:
        for piece in pieces:
            self._digests.update_rest(piece)
            if self._digests.size > self.plan.size:
                raise S3Error("IncompleteBody", "The body is longer than the length given.")
            self._sink(bytes(piece) if isinstance(piece, memoryview) else piece)

    def everything(self, data: bytes) -> None:
        pieces = self.decode(data)
        self.md5(pieces)
        self.rest(pieces)

    def finish(self, wire: int) -> BodyResult:
        """After the last slice: check lengths and every digest the request promised."""
        trailers = self._decoder.finish() if self._decoder is not None else {}
        digests = self._digests
        if digests.size != self.plan.size or (self.plan.wire_length is not None
                                              and wire != self.plan.wire_length):
            raise S3Error("IncompleteBody")
        _verify(self.plan, digests, trailers)
        return BodyResult(size=digests.size, md5=digests.md5, checksums=digests.checksums())


async def send_continue(request: web.Request) -> None:
    """Answer `Expect: 100-continue`: called when a handler is about to read the body, so a
    request refused earlier never has its body sent."""
    if request.headers.get("Expect", "").lower() == "100-continue":
        await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")


async def receive(request: web.Request, plan: BodyPlan, auth: AuthContext, sink: Sink,
                  executor: Executor) -> BodyResult:
    """Read the whole body into sink and verify it; raises S3Error on any mismatch. The
    next slice is read from the socket while the previous one is processed."""
    await send_continue(request)
    processor = BodyProcessor(plan, auth, sink)
    loop = asyncio.get_running_loop()

    async def process(data: bytes) -> None:
        if len(data) < PARALLEL_FROM:  # not worth two thread hops
            await loop.run_in_executor(executor, processor.everything, data)
            return
        pieces = await loop.run_in_executor(executor, processor.decode, data)
        outcomes = await asyncio.gather(loop.run_in_executor(executor, processor.md5, pieces),
                                        loop.run_in_executor(executor, processor.rest, pieces),
                                        return_exceptions=True)
        for outcome in outcomes:  # both have finished: nothing still writes to the sink
            if isinstance(outcome, BaseException):
                raise outcome

    pending: asyncio.Future[None] | None = None
    wire = 0
    try:
        while True:
            data = await read_slice(request)
            if pending is not None:
                await pending
                pending = None
            if not data:
                break
            wire += len(data)
            pending = asyncio.ensure_future(process(data))
    finally:
        if pending is not None:
            await asyncio.gather(pending, return_exceptions=True)
    return processor.finish(wire)


async def read_slice(request: web.Request) -> bytes:
    """Up to SLICE bytes (fewer only at the end of the body)."""
    pieces: list[bytes] = []
    have = 0
    while have < SLICE:
        piece = await request.content.read(SLICE - have)
        if not piece:
            break
        pieces.append(piece)
        have += len(piece)
    return pieces[0] if len(pieces) == 1 else b"".join(pieces)


def _verify(plan: BodyPlan, digests: BodyDigests, trailers: dict[str, str]) -> None:
    if plan.payload_hash is not None and not hmac.compare_digest(
            plan.payload_hash, digests.sha256_hex or ""):
        raise S3Error("XAmzContentSHA256Mismatch",
                      ClientComputedContentSHA256=plan.payload_hash,
                      S3ComputedContentSHA256=digests.sha256_hex or "")
    if plan.content_md5 is not None and plan.content_md5 != digests.md5:
        raise S3Error("BadDigest", ExpectedDigest=plan.content_md5.hex(),
                      CalculatedDigest=base64.b64encode(digests.md5).decode())
    expected = plan.expected_checksum
    if plan.trailer is not None:
        expected = trailers.get(plan.trailer)
        if expected is None:
            raise _malformed_trailer()
        _check_checksum_value(plan.algorithm, plan.trailer, expected)
    computed = digests.checksums()[plan.algorithm]
    if expected is not None and expected != computed:
        raise S3Error("BadDigest", f"The {plan.algorithm} you specified did not match the "
                      "calculated checksum.")


def _parse_length(value: str) -> int:
    if not value.isdigit():
        raise invalid_argument("Content-Length must be a non-negative integer",
                               "Content-Length", value)
    return int(value)


def _content_md5(value: str | None) -> bytes | None:
    if value is None:
        return None
    try:
        digest = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise S3Error("InvalidDigest") from None
    if len(digest) != 16:
        raise S3Error("InvalidDigest")
    return digest


def _checksum_plan(headers: CIMultiDictProxy[str], chunked: bool,
                   ) -> tuple[str, str | None, bool, str | None]:
    """(algorithm, value from a header, asked for explicitly, trailer name)."""
    given = checksums.value_headers(headers)
    trailer = headers.get("x-amz-trailer")
    if trailer is not None:
        trailer = trailer.strip().lower()
        if not chunked:  # a trailer needs an aws-chunked body to travel in
            raise _malformed_trailer()
        given.setdefault(trailer, "")
    named = {name: checksums.algorithm_of_header(name) for name in given}  # unknown: refused
    if len(given) > 1:
        raise multiple_checksums()
    sdk = headers.get("x-amz-sdk-checksum-algorithm")
    sdk_algorithm = checksums.algorithm(sdk) if sdk is not None else None
    if given:
        name, value = next(iter(given.items()))
        algorithm = named[name]
        if sdk_algorithm is not None and sdk_algorithm != algorithm:
            raise S3Error("InvalidRequest", "Value for x-amz-sdk-checksum-algorithm header is "
                          "invalid.")
        if name == trailer:
            return algorithm, None, True, trailer
        _check_checksum_value(algorithm, name, value)
        return algorithm, value, True, None
    if sdk_algorithm is not None:
        return sdk_algorithm, None, True, None
    return DEFAULT_CHECKSUM, None, False, None


def multiple_checksums() -> S3Error:
    return S3Error("InvalidRequest", "Expecting a single x-amz-checksum- header. Multiple "
                   "checksum Types are not allowed.")


def _check_checksum_value(algorithm: str, name: str, value: str) -> None:
    """A checksum value must be the base64 of a digest of its algorithm's size."""
    if not checksums.well_formed(algorithm, value):
        raise S3Error("InvalidRequest", f"Value for {name} header is invalid.")


def _malformed_trailer() -> S3Error:
    return S3Error("MalformedTrailerError", "The request contained trailing data that was not "
                   "well-formed or did not conform to our published schema.")


MAX_SMALL_BODY = 2 * 1024 * 1024


def require_integrity_header(headers: CIMultiDictProxy[str]) -> None:
    """Operations whose model requires a checksum (DeleteObjects, PutBucketEncryption):
    Content-MD5 or an x-amz-checksum-* header must come with the body."""
    if "Content-MD5" not in headers and not any(
            name.lower().startswith(checksums.HEADER_PREFIX) for name in headers):
        raise S3Error("InvalidRequest", "Missing required header for this request: "
                      "Content-MD5")


async def read_small(request: web.Request, auth: AuthContext, executor: Executor,
                     limit: int = MAX_SMALL_BODY, *, checksum_headers: bool = True) -> bytes:
    """A small request body (an XML document), verified like any other body (see plan_body
    for checksum_headers)."""
    if not request.body_exists:
        return b""
    plan = plan_body(request.headers, auth, max_size=limit, checksum_headers=checksum_headers)
    pieces: list[bytes] = []
    await receive(request, plan, auth, pieces.append, executor)
    return b"".join(pieces)
