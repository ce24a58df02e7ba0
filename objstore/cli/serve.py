"""`objstore serve`: run the server until SIGINT/SIGTERM, then stop cleanly.

On a signal the listening socket closes, requests in flight get up to SHUTDOWN_GRACE
seconds to finish, and any write still unfinished then is discarded (its temp blob is
removed; nothing half-written is ever published)."""

from __future__ import annotations

import asyncio
import logging
import signal
import ssl
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from kms.api.dispatch import KmsApi
from kms.service.service import KmsService
from objstore.auth.identities import IdentityStore
from objstore.cli import tls
from objstore.console import mount_console
from objstore.http.app import IN_FLIGHT, AccessLogger, build_app
from objstore.http.context import ServerContext
from objstore.storage.store import Store

SHUTDOWN_GRACE = 30.0
IO_THREADS = 8
DUE_WORK_INTERVAL = 5.0
log = logging.getLogger("objstore")


@dataclass
class ServeOptions:
    host: str
    port: int
    data_dir: Path
    access_key: str
    secret_key: str
    region: str
    users_file: Path | None = None
    domain: str = "localhost"
    shutdown_grace: float = SHUTDOWN_GRACE
    tls: bool = False                  # HTTPS (self-signed in DATA_DIR/tls unless given)
    tls_cert: Path | None = None
    tls_key: Path | None = None
    require_tls_for_sse_c: bool = False
    default_encryption: str | None = "AES256"   # None: objects without SSE stored as sent


async def _run_due_work(kms: KmsService, kms_executor: ThreadPoolExecutor) -> None:
    """Rotations, deletions and expiries happen when their date passes, even with no
    KMS traffic to notice them."""
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(DUE_WORK_INTERVAL)
        try:
            await loop.run_in_executor(kms_executor, kms.run_due_work)
        except Exception:
            log.exception("KMS scheduled work failed")


def identities_path(data_dir: Path, users_file: Path | None) -> Path:
    return users_file if users_file is not None else data_dir / "identities.json"


def _tls_setup(options: ServeOptions) -> tuple[ssl.SSLContext, tls.TlsFiles] | None:
    """The server's TLS context and files, or None for plain HTTP; exits on bad files."""
    if not (options.tls or options.tls_cert or options.tls_key):
        return None
    try:
        if options.tls_cert or options.tls_key:
            if not (options.tls_cert and options.tls_key):
                raise tls.TlsSetupError("--tls-cert and --tls-key go together")
            files = tls.user_files(options.tls_cert, options.tls_key)
        else:
            files = tls.ensure_self_signed(options.data_dir, options.host, options.domain)
        return tls.server_context(files), files
    except tls.TlsSetupError as exc:
        print(f"objstore: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None


async def serve(options: ServeOptions) -> None:
    secure = _tls_setup(options)
    executor = ThreadPoolExecutor(max_workers=IO_THREADS, thread_name_prefix="objstore-io")
    store = Store(options.data_dir, executor)
    cleaned = await store.open()
    identities = IdentityStore(identities_path(options.data_dir, options.users_file))
    admin = identities.ensure("admin", options.access_key, options.secret_key)
    kms_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="objstore-kms")
    kms = KmsService(options.data_dir, account_id=admin.account_id, region=options.region)
    app = build_app(ServerContext(store=store, identities=identities, executor=executor,
                                  region=options.region, domain=options.domain,
                                  kms=kms, kms_api=KmsApi(kms),
                                  kms_executor=kms_executor,
                                  require_tls_for_sse_c=options.require_tls_for_sse_c,
                                  default_encryption=options.default_encryption))
    mount_console(app)
    due_work = asyncio.create_task(_run_due_work(kms, kms_executor))
    runner = web.AppRunner(app, access_log_class=AccessLogger,
                           access_log=logging.getLogger("objstore.access"),
                           handle_signals=False, shutdown_timeout=1.0,
                           auto_decompress=False)
    await runner.setup()
    site = web.TCPSite(runner, options.host, options.port, reuse_address=True,
                       ssl_context=secure[0] if secure else None)
    await site.start()
    port = runner.addresses[0][1]
    host = f"[{options.host}]" if ":" in options.host else options.host
    endpoint = f"{'https' if secure else 'http'}://{host}:{port}"
    # one write: the endpoint first (scripts read that line), then how to trust the cert
    sys.stdout.write(endpoint + "\n" + (tls.client_hints(endpoint, secure[1]) if secure else ""))
    sys.stdout.flush()
    print(f"console: {endpoint}/console/", flush=True)
    if secure and secure[1].generated:
        log.info("made a self-signed TLS certificate: %s", secure[1].cert.resolve())
    if options.require_tls_for_sse_c and not secure:
        log.warning("--require-tls-for-sse-c without --tls: every SSE-C request is refused")
    log.info("data directory %s; cleaned at start: %s", options.data_dir.resolve(), cleaned)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
        await site.stop()
        in_flight = app[IN_FLIGHT]
        log.info("shutting down: %d request(s) in flight get %.0fs to finish",
                 in_flight.count, options.shutdown_grace)
        if not await in_flight.wait_idle(options.shutdown_grace):
            log.warning("shutting down: %d request(s) cut short; their writes are discarded",
                        in_flight.count)
    finally:
        due_work.cancel()
        await runner.cleanup()
        await store.close()
        kms_executor.submit(kms.close).result()
        kms_executor.shutdown(wait=True)
        executor.shutdown(wait=True)
    print("stopped", file=sys.stderr, flush=True)
