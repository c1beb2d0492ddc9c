"""JSON: the direct serialisation of the result objects (schema in the README)."""

from __future__ import annotations

import json

from .safe import json_text


def render(results, **_) -> str:
    if len(results) == 1:
        payload = results[0].to_dict()
    else:
        payload = {"results": [r.to_dict() for r in results]}
    return json_text(json.dumps(payload, indent=2, ensure_ascii=False)) + "\n"


def render_report(report, **_) -> str:
    return json_text(json.dumps(report.to_dict(), indent=2, ensure_ascii=False)) + "\n"
