"""The aiohttp application: one entry point for every request, which authenticates it
first, then routes it to its S3 operation, and turns every failure into AWS's error."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import re
import secrets
from xml.sax.saxutils import escape

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from objstore.auth.errors import AuthError
from objstore.auth.verify import RequestToVerify, authenticate
from objstore.http import admin, kms_endpoint
from objstore.http.context import CONTEXT, ServerContext
from objstore.http.errors import S3Error, from_auth, from_domain
from objstore.http.request import (
    S3Request,
    merged_headers,
    parse_query,
    parse_target,
    split_raw_path,
    virtual_host_bucket,
)
from objstore.http.router import resolve

log = logging.getLogger("objstore.http")
REQUEST_ID = web.RequestKey("request_id", str)
OPERATION = web.RequestKey("operation", str)
_SCOPE_SERVICE = re.compile(r"Credential=[^/,]+/\d{8}/[^/,]+/([^/,]+)/aws4_request")


class InFlight:
    """Counts requests being handled, so shutdown can wait for them (aiohttp's own graceful
    shutdown stops reading request bodies at once, which would fail every upload)."""

    def __init__(self) -> None:
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def enter(self) -> None:
        self.count += 1
        self._idle.clear()

    def leave(self) -> None:
        self.count -= 1
        if self.count == 0:
            self._idle.set()

    async def wait_idle(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True


IN_FLIGHT = web.AppKey("in_flight", InFlight)


def build_app(ctx: ServerContext) -> web.Application:
    app = web.Application(client_max_size=1024**2)
    app[CONTEXT] = ctx
    app[IN_FLIGHT] = InFlight()
    app.on_response_prepare.append(_stamp_request_id)
    app.router.add_route("*", r"/{tail:[\s\S]*}", _entry, expect_handler=_defer_continue)
    return app


async def _defer_continue(request: web.Request) -> None:
    """Send `100 Continue` only once a handler starts reading the body (after auth)."""


async def _stamp_request_id(request: web.Request, response: web.StreamResponse) -> None:
    request_id = request.get(REQUEST_ID, "")
    response.headers["x-amz-request-id"] = request_id
    response.headers["x-amz-id-2"] = request_id


async def _entry(request: web.Request) -> web.StreamResponse:
    request_id = secrets.token_hex(8).upper()
    request[REQUEST_ID] = request_id
    in_flight = request.app[IN_FLIGHT]
    in_flight.enter()
    try:
        return await _dispatch(request, request_id)
    except S3Error as error:
        return _error_response(request, error, request_id)
    except Exception as exc:
        error = from_domain(exc)
        if error is None:
            log.exception("internal error in request %s", request_id)
            error = S3Error("InternalError")
        return _error_response(request, error, request_id)
    finally:
        in_flight.leave()


async def _dispatch(request: web.Request, request_id: str) -> web.StreamResponse:
    ctx = request.app[CONTEXT]
    if kms_endpoint.is_kms_request(request):
        request[OPERATION] = "KMS:" + request.headers["X-Amz-Target"].split(".", 1)[1]
        return await kms_endpoint.handle(request, ctx, request_id)
    foreign = _foreign_service(request)
    if foreign is not None:
        return foreign
    raw_path, raw_query = split_raw_path(request.raw_path)
    vhost_bucket = virtual_host_bucket(request.headers.get("Host"), ctx.domain)
    try:
        auth = authenticate(
            RequestToVerify(method=request.method, raw_path=raw_path, raw_query=raw_query,
                            headers=request.headers, vhost_bucket=vhost_bucket),
            ctx.identities, service="s3", now=dt.datetime.now(dt.UTC))
    except AuthError as exc:
        raise from_auth(exc) from None
    query = parse_query(raw_query)
    if vhost_bucket is None and admin.is_admin_path(raw_path):
        request[OPERATION] = "Admin"
        return await admin.handle(ctx, request.method, raw_path, query)
    bucket, key = parse_target(raw_path, vhost_bucket)
    headers = merged_headers(request, auth.query_headers)
    operation, handler = resolve(request.method, bucket, key, query, headers)
    request[OPERATION] = operation
    return await handler(ctx, S3Request(
        http=request, request_id=request_id, bucket=bucket, key=key, query=query,
        headers=headers, identity=auth.identity, auth=auth))


def _foreign_service(request: web.Request) -> web.Response | None:
    """A quick 400 for requests meant for another AWS service (JSON or query protocol)."""
    target = request.headers.get("X-Amz-Target")
    match = _SCOPE_SERVICE.search(request.headers.get("Authorization", ""))
    service = match.group(1) if match else None
    if target is None and service in (None, "s3"):
        return None
    name = service or (target.split(".", 1)[0] if target else "unknown")
    message = (f"This endpoint serves S3; it has no {name} service"
               + (f" (X-Amz-Target: {target})." if target else "."))
    if target is None:  # the AWS query protocol (STS, SQS, ...): an XML ErrorResponse
        body = ("<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code>"
                f"<Message>{escape(message)}</Message></Error>"
                f"<RequestId>{request[REQUEST_ID]}</RequestId></ErrorResponse>")
        return web.Response(status=400, text=body, content_type="text/xml")
    return web.Response(status=400, content_type="application/x-amz-json-1.1",
                        text=json.dumps({"__type": "UnknownOperationException",
                                         "message": message}))


def _error_response(request: web.Request, error: S3Error, request_id: str) -> web.Response:
    if error.status >= 500:
        log.warning("%s %s -> %s %s", request.method, request.path, error.status, error.code)
    if request.method == "HEAD" or error.status == 304:
        response = web.Response(status=error.status)
    else:
        response = web.Response(status=error.status, content_type="application/xml",
                                body=error.to_xml(request.path, request_id))
    if request.body_exists and not request.content.is_eof():
        # Refused before its body was read (an Expect: 100-continue client never sends
        # it): the connection cannot carry another request.
        response.force_close()
    return response


class AccessLogger(AbstractAccessLogger):
    """One line a request, without the query string (presigned URLs carry signatures and,
    in the SigV2 form, even SSE-C keys there)."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse,
            time: float) -> None:
        self.logger.info("%s %s %s %s %s %.1fms", request.get(REQUEST_ID, "-"),
                         request.get(OPERATION, "-"), request.method, request.path,
                         response.status, time * 1000)
