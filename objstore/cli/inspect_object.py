"""`objstore inspect BUCKET/KEY`: the text rendering of the inspection report (the report
itself is built by objstore.inspection, which the web console uses too)."""

from __future__ import annotations

import json
from typing import Any

from objstore.inspection import describe

__all__ = ["describe", "render"]


def render(report: dict[str, Any]) -> str:
    lines = [report["object"]]
    for name, value in report.items():
        if name == "object":
            continue
        if isinstance(value, list | dict):
            value = json.dumps(value, indent=2).replace("\n", "\n    ")
        lines.append(f"  {name.replace('_', ' ')}: {value}")
    return "\n".join(lines)
