"""The encryption modes, as pure decisions over request headers (no aiohttp, no I/O, no KMS).

- `request.plan_write` / `plan_read` / `check_part`: validate a request's SSE headers in
  AWS's order and say which encryption applies (or which SSE-C key a read supplied).
- `customer_key`: SSE-C key fingerprints (salted HMAC) and per-object data keys (HKDF).
- `context`: the encryption-context header, S3's aws:s3:arn pair, the response echo.
- `headers.response_headers`: the SSE response headers per operation and mode.
- `errors.SseError`: every refusal, with AWS's code, message and status; the HTTP layer
  maps it 1:1 to an S3 error.

Layering: http -> sse -> storage/auth/crypto/integrity; nothing here imports objstore.http.
"""

from objstore.sse.errors import SseError
from objstore.sse.headers import response_headers
from objstore.sse.model import BucketEncryption, ReadRequest, StoredEncryption, WriteRequest
from objstore.sse.request import check_part, plan_read, plan_write, stored_encryption

__all__ = ["BucketEncryption", "ReadRequest", "SseError", "StoredEncryption", "WriteRequest",
           "check_part", "plan_read", "plan_write", "response_headers", "stored_encryption"]
