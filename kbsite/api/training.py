"""Training endpoints: try a written-reply rubric (``POST /api/training/grade-preview``).

For trainer and admin tokens (``manage_training``): the reply is graded exactly
as a real attempt grades it (same grader, published lexicon and synonyms) and
nothing is stored.
"""

from __future__ import annotations

from flask import jsonify

from kbsite.api import bp
from kbsite.auth.permissions import require
from kbsite.jsonbody import json_object
from kbsite.training import gradepreview


@bp.post("/training/grade-preview")
@require("manage_training")
def grade_preview():
    """Score, verdict, key points met and flags for one reply to one scenario_reply question."""
    data = json_object()
    question = gradepreview.reply_question(data.get("question"))
    return jsonify(gradepreview.as_json(gradepreview.grade(question, data.get("reply"))))
