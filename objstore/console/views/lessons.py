"""The Lessons index: every lesson registered in lessons_registry (the SSE-mode lessons
and the key-administration lessons), grouped by kind."""

from __future__ import annotations

from aiohttp import web

from objstore.console.render import render
from objstore.console.views import lessons_registry

routes = web.RouteTableDef()


@routes.get("/lessons", name="lessons")
async def lessons_index(request: web.Request) -> web.Response:
    mounted = {resource.name for resource in request.app.router.resources() if resource.name}
    groups = [(kind, title, [lesson for lesson in lessons_registry.by_kind(kind)
                             if lesson.route in mounted])
              for kind, title in lessons_registry.KINDS.items()]
    return render(request, "lessons/index.html", section="lessons", groups=groups)
