"""Quiz and course front matter, validated by the quiz format's rules (registered with the file layer)."""

from __future__ import annotations

from typing import Any

from kbsite.content import types
from kbsite.files.validate import Doc, register_meta
from kbsite.training.quizformat import validate_course_meta, validate_quiz_meta


def _training_meta(doc: Doc, body: str, body_line: int) -> dict[str, Any]:
    """Quiz and course keys are kept as loaded; only their outer shape is checked here."""
    shapes = {"questions": list, "steps": list, "prerequisites": list}
    meta = {}
    own = types.get(doc.data["type"]).keys
    for key in own:
        if key not in doc.data:
            continue
        expected = shapes.get(key, str)
        if not isinstance(doc.data[key], expected):
            doc.fail(f"{key} 必须是{'列表' if expected is list else '文本'}", key)
        meta[key] = doc.data[key]
    for key in ("questions", "steps"):
        if key in own and key not in meta:
            doc.fail(f"缺少必填字段 {key}", key)
    quiz = doc.data["type"] == "quiz"
    errors = validate_quiz_meta(meta) if quiz else validate_course_meta(meta)
    if errors:
        doc.fail(("测验有误：" if quiz else "课程有误：") + "；".join(errors), "questions" if quiz else "steps")
    return meta


register_meta("quiz", _training_meta)
register_meta("course", _training_meta)
