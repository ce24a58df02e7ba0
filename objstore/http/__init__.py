"""The S3 wire protocol on aiohttp: routing, authentication, XML, errors, streaming bodies.

Handlers translate between HTTP and the layers below; they hold no crypto and no paths."""
