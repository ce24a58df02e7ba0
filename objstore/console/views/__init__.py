"""The console's pages. To add one:

1. A module here with `routes = web.RouteTableDef()` and named routes; list it in ROUTES.
   Paths are relative to /console (`@routes.get("/audit", name="audit")`); a page's
   links use the name: `url('audit')` in a template, `redirect(request, "audit")` in a
   view. Every route needs a signed-in user unless the view is decorated `@public`.
2. GET views return `render(request, "section/page.html", section="audit", **values)`
   (`section` lights up the navigation tab). Templates extend "base.html", fill
   `{% block content %}`, and get `m` (macros.html: `m.csrf()`, `m.action(url, label)`,
   `m.error_banner(error)`, `m.row(label, value)`), `user`, `url(...)` and the filters
   `when` (epoch -> UTC text) and `pretty_json`. Everything is autoescaped.
3. Forms POST with `{{ m.csrf() }}` inside (the middleware refuses a POST without it).
   A multipart form (an upload) puts it first, its view is marked `@accepts_uploads` and
   reads the other parts from `request[state.MULTIPART]`. A POST view does its work,
   `state.flash(request, text)` (or kind "error"), and answers `redirect(...)` (303), so
   reloading never repeats it.
4. KMS calls go through `objstore.console.as_user` (the signed-in identity's Caller, the
   KMS thread, KmsError -> KmsFailure banner): `call` raises (an uncaught failure is an
   error page with the KMS's answer), `attempt` returns it for one part of a page, `act`
   flashes it, `run` takes a function of (kms, caller) for several calls in one hop.
   Raise `ConsoleError(headline, detail, status)` for anything else to show.
5. A browser test in tests/console/ uses the `console` and `page` fixtures (see
   tests/console/conftest.py)."""

from aiohttp import web

from objstore.console.views import (
    audit,
    auth,
    buckets,
    clock,
    home,
    keys,
    keys_actions,
    keys_import,
    keys_use,
    lessons,
    lessons_admin,
    lessons_sse,
    objects,
    placeholders,
)

ROUTES: list[web.RouteTableDef] = [auth.routes, home.routes, keys.routes, clock.routes,
                                   placeholders.routes, buckets.routes, objects.routes,
                                   keys_actions.routes, keys_import.routes, keys_use.routes,
                                   audit.routes, lessons.routes, lessons_admin.routes,
                                   lessons_sse.routes]
