"""The console's pages. Each module has `routes = web.RouteTableDef()` with named routes
(the name is what templates pass to `url(...)`); list it in ROUTES to serve it."""

from aiohttp import web

from objstore.console.views import auth, clock, home, keys, placeholders

ROUTES: list[web.RouteTableDef] = [auth.routes, home.routes, keys.routes, clock.routes,
                                   placeholders.routes]
