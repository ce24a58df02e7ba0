"""The KMS on the S3 port: `POST /` with `X-Amz-Target: TrentService.*`, authenticated
with SigV4 (service `kms`) by the same identities, then handed to kms/api in the KMS's own
worker thread (its calls are short and touch SQLite and the ledger)."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json

from aiohttp import web

from kms.service.caller import Caller
from objstore.auth.errors import AuthError
from objstore.auth.verify import RequestToVerify, authenticate
from objstore.http.context import ServerContext

TARGET_PREFIX = "TrentService."
MAX_BODY = 1024 * 1024
JSON = "application/x-amz-json-1.1"

# AuthError kinds -> the KMS's (JSON protocol) error types
_AUTH_TYPES = {
    "missing": "MissingAuthenticationTokenException",
    "unknown_key": "UnrecognizedClientException",
    "bad_signature": "InvalidSignatureException",
    "skew": "InvalidSignatureException",
}


def is_kms_request(request: web.Request) -> bool:
    return request.headers.get("X-Amz-Target", "").startswith(TARGET_PREFIX)


async def handle(request: web.Request, ctx: ServerContext, request_id: str) -> web.Response:
    if request.content_length is not None and request.content_length > MAX_BODY:
        return _error(413, "SerializationException", "The request body is too large.",
                      request_id)
    body = await request.content.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        return _error(413, "SerializationException", "The request body is too large.",
                      request_id)
    raw_path, _, raw_query = request.raw_path.partition("?")
    try:
        auth = authenticate(
            RequestToVerify(method=request.method, raw_path=raw_path, raw_query=raw_query,
                            headers=request.headers,
                            body_sha256=hashlib.sha256(body).hexdigest()),
            ctx.identities, service="kms", now=dt.datetime.now(dt.UTC))
    except AuthError as error:
        return _error(400, _AUTH_TYPES.get(error.kind, "IncompleteSignatureException"),
                      error.message, request_id)
    identity = auth.identity
    region = auth.scope.split("/")[1] if auth.scope else ctx.region
    caller = Caller(arn=identity.arn, account_id=identity.account_id,
                    user_name=identity.name, region=region,
                    source_ip=request.remote or "", request_id=request_id,
                    user_agent=request.headers.get("User-Agent", ""),
                    access_key=identity.access_key)
    loop = asyncio.get_running_loop()
    status, headers, payload = await loop.run_in_executor(
        ctx.kms_executor, ctx.kms_api.handle, request.headers["X-Amz-Target"], body, caller)
    return web.Response(status=status, body=payload,
                        headers={**headers, "x-amzn-RequestId": request_id})


def _error(status: int, type_name: str, message: str, request_id: str) -> web.Response:
    return web.Response(status=status, content_type=JSON,
                        text=json.dumps({"__type": type_name, "message": message}),
                        headers={"x-amzn-RequestId": request_id})
