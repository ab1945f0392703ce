"""Imports every model module so that ``Base.metadata`` is complete (migrations, create_all)."""

from __future__ import annotations


def load_all() -> None:
    """Import all model modules; safe to call repeatedly."""
    import kbsite.announcements.models  # noqa: F401
    import kbsite.audit  # noqa: F401
    import kbsite.auth.models  # noqa: F401
    import kbsite.content.images  # noqa: F401
    import kbsite.content.models  # noqa: F401
    import kbsite.review.feedback  # noqa: F401
    import kbsite.search.log  # noqa: F401
    import kbsite.search.outbox  # noqa: F401
    import kbsite.training.models  # noqa: F401
    import kbsite.workspace.models  # noqa: F401
