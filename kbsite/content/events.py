"""Publish hooks: how features above the content layer learn that a revision went live.

The content layer must not import the features that react to publishing (training
reopens steps that cite a changed policy). They register a callable here from
their ``init_app``; ``content.service`` calls :func:`published` after the write
transaction commits, with ``(slug, revision id)`` pairs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from flask import Flask, current_app, has_app_context

PublishHook = Callable[[Sequence[tuple[str, int]]], None]
_KEY = "kbsite.on_published"


def on_published(app: Flask, hook: PublishHook) -> None:
    """Register ``hook`` to be called with the revisions published by each write."""
    app.extensions.setdefault(_KEY, []).append(hook)


def published(revisions: Sequence[tuple[str, int]]) -> None:
    """Tell every registered hook that these ``(slug, revision id)`` pairs were just published."""
    if not revisions or not has_app_context():
        return
    for hook in current_app.extensions.get(_KEY, []):
        hook(revisions)
