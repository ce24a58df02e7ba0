"""The web console: server-rendered HTML pages under /console/ on the S3 port, for
learning and administering the KMS and the SSE modes without writing code.

It sits above objstore.http in the layers: it calls the KMS service and the store
in-process (never over HTTP to itself), always as the signed-in identity."""

from objstore.console.app import PREFIX, build_console, mount_console

__all__ = ["PREFIX", "build_console", "mount_console"]
