"""One kbsite node for the outbox tests, run as a separate process (not collected).

``python outbox_node.py DB_URL INDEX_DIR follow``: follow the outbox with the real
follower thread, printing ``ready`` once caught up, until killed.
``python outbox_node.py DB_URL INDEX_DIR slow-follow``: the same, but the first
rebuild stalls after its first document (printing ``rebuilding``) so it can be killed
mid-catch-up.
``python outbox_node.py DB_URL INDEX_DIR save-and-die SLUG TEXT``: save SLUG with TEXT
in its body and approve it through the content service, indexing nothing, and die by
SIGKILL right after the approval's commit.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from pathlib import Path


def make_app(url: str, index_dir: Path):
    """An app on an existing schema, following the outbox every 0.1 s."""
    home = index_dir.parent
    os.environ["KBSITE_HOME"] = str(home)
    from kbsite import create_app

    return create_app({
        "TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_URL": url,
        "SEARCH_INDEX_DIR": str(index_dir), "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
        "SEARCH_FOLLOW": True, "SEARCH_FOLLOW_INTERVAL": 0.1,
    })


def follow(app, slow: bool) -> None:
    """Run the follower thread; print ``ready`` after the first catch-up."""
    from kbsite.search import SearchEngine, service

    if slow:
        original = SearchEngine.rebuild

        def stalled(self, docs, total=None, progress=None):
            def trickle():
                for n, doc in enumerate(docs):
                    yield doc
                    if n == 0:
                        print("rebuilding", flush=True)
                        time.sleep(60)

            return original(self, trickle(), total, progress)

        SearchEngine.rebuild = stalled
    with app.app_context():
        svc = service()
        svc.start_following(app, 0.1)
        while svc._known_position() is None:
            time.sleep(0.05)
        print("ready", flush=True)
    while True:
        time.sleep(1)


def save_and_die(app, slug: str, text: str) -> None:
    """Save through the service; the post-commit hook kills this process at once."""
    from kbsite.auth.service import get_user
    from kbsite.content import service
    from kbsite.content.service import Draft

    calls: list[list[str]] = []

    def hook(slugs: list[str]) -> None:  # the save indexes nothing; the approval's commit is the last act
        calls.append(slugs)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGKILL)

    app.extensions["kbsite.on_items_changed"] = hook
    with app.app_context():
        admin = get_user("boss")
        item = service.get_item(slug)
        rev = item.latest
        draft = Draft(rev.title, rev.category, list(rev.tags), rev.body + f"\n\n{text}", dict(rev.meta))
        saved = service.save_revision(slug, draft, rev.number, admin)
        service.approve(slug, saved.number, get_user("zhou"))  # nobody approves their own change
    print("not killed", flush=True)


def main() -> int:
    """Entry point: DB_URL INDEX_DIR MODE [SLUG TEXT]."""
    url, index_dir, mode = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    app = make_app(url, index_dir)
    if mode == "save-and-die":
        save_and_die(app, sys.argv[4], sys.argv[5])
    else:
        follow(app, slow=mode == "slow-follow")
    return 0


if __name__ == "__main__":
    sys.exit(main())
