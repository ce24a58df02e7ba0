"""The lessons the Lessons index (views/lessons.py, /console/lessons) lists.

Any lesson module adds its pages here, at import time, with `register(...)`:

    from objstore.console.views.lessons_registry import Lesson, register
    register(Lesson(route="lesson_sse_kms", title="SSE-KMS", kind="sse",
                    summary="Objects encrypted under a KMS key ...", order=20))

`route` is the name of the lesson's GET route (its module's RouteTableDef, listed in
views/__init__.ROUTES); `kind` groups the index: "sse" (one lesson per SSE mode, in
views/lessons_sse*.py, templates lessons/sse_*.html) or "admin" (key administration
tasks, in views/lessons_admin.py, templates lessons/admin_*.html). The index shows each
group sorted by `order`, then title; a lesson whose route is not mounted is left out."""

from __future__ import annotations

from dataclasses import dataclass

KINDS = {
    "sse": "Server-side encryption, one mode at a time",
    "admin": "Administering KMS keys",
}


@dataclass(frozen=True)
class Lesson:
    route: str          # the GET route's name: url(route)
    title: str
    summary: str
    kind: str = "admin"  # a key of KINDS
    order: int = 100


LESSONS: list[Lesson] = []


def register(*lessons: Lesson) -> None:
    """Add lessons (a route registered twice keeps its first entry: re-imports are fine)."""
    known = {lesson.route for lesson in LESSONS}
    for lesson in lessons:
        if lesson.kind not in KINDS:
            raise ValueError(f"lesson kind {lesson.kind!r} is not one of {sorted(KINDS)}")
        if lesson.route not in known:
            LESSONS.append(lesson)
            known.add(lesson.route)


def by_kind(kind: str) -> list[Lesson]:
    return sorted((lesson for lesson in LESSONS if lesson.kind == kind),
                  key=lambda lesson: (lesson.order, lesson.title))
