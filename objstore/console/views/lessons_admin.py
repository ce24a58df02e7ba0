"""Key-administration lessons, one page per task: a few sentences, then each step done
live in this console (forms that act on a lesson key, links into the key's page) with the
matching boto3 and AWS CLI commands beside it.

A lesson works on one customer-managed key, named in its URL (`?key=KEY_ID`): chosen from
the keys the signed-in user may describe, or made on the spot. Action forms post to the
key actions with a hidden `back` field, so the browser comes back to the lesson."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from objstore.console import as_user
from objstore.console.as_user import Attempt
from objstore.console.render import render
from objstore.console.views import keys
from objstore.console.views.lessons_registry import Lesson, register

routes = web.RouteTableDef()


@dataclass(frozen=True)
class AdminLesson:
    slug: str
    title: str
    summary: str
    needs_key: bool = True

    @property
    def route(self) -> str:
        return f"lesson_admin_{self.slug.replace('-', '_')}"


LESSONS = [
    AdminLesson("create-key", "Create a customer-managed key",
                "Make a key of your own, give it an alias, see what the KMS says about it.",
                needs_key=False),
    AdminLesson("key-policies", "Key policies: who administers, who uses",
                "Split the people who manage a key from those who encrypt and decrypt "
                "with it, and watch the KMS refuse the others."),
    AdminLesson("rotation", "Rotate a key",
                "Automatic rotation with a period, rotation on demand, and why old "
                "ciphertexts still decrypt."),
    AdminLesson("disable-enable", "Disable and re-enable a key",
                "Stop every use of a key at once, and bring it back."),
    AdminLesson("deletion", "Schedule a key's deletion, and watch the clock",
                "The waiting period, cancelling, and what deletion really destroys."),
    AdminLesson("import", "Import your own key material",
                "A key whose material you make: wrap it, upload it, let it expire.",
                needs_key=False),
    AdminLesson("audit", "Read the audit trail",
                "Who used which key, when, through S3 or directly, and what was refused.",
                needs_key=False),
]

register(*(Lesson(route=lesson.route, title=lesson.title, summary=lesson.summary,
                  kind="admin", order=10 * n) for n, lesson in enumerate(LESSONS, 1)))


def _view(lesson: AdminLesson):  # type: ignore[no-untyped-def]
    async def view(request: web.Request) -> web.Response:
        key_id = request.query.get("key", "").strip()
        chosen: Attempt | None = None
        if key_id:
            chosen = await as_user.attempt(request, "describe_key", key_id=key_id)
        rows = await as_user.run(request, keys._key_rows)
        mine = [r for r in rows if not r.aws_managed and r.meta is not None
                and r.meta["KeyState"] != "PendingDeletion"]
        meta: dict[str, Any] | None = None
        if chosen is not None and chosen.ok and chosen.result is not None:
            meta = chosen.result["KeyMetadata"]
        here = str(request.rel_url.path)
        return render(request, f"lessons/admin_{lesson.slug.replace('-', '_')}.html",
                      section="lessons", lesson=lesson, lessons=LESSONS, key=meta,
                      key_error=chosen.error if chosen is not None else None,
                      my_keys=mine, here=here, back=here + (f"?key={meta['KeyId']}"
                                                            if meta else ""),
                      key_types=keys.KEY_TYPES,
                      endpoint=f"{request.scheme}://{request.host}")
    return view


for _lesson in LESSONS:
    routes.get(f"/lessons/admin/{_lesson.slug}", name=_lesson.route)(_view(_lesson))
