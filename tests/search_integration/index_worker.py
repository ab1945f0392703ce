"""A separate worker process for the concurrency tests (run as a script, not collected).

``python index_worker.py HOME save WORKER N``: create, approve and re-save N items of
its own and save a shared item N times, all through kbsite's services.
``python index_worker.py HOME hammer WORKER N``: save big revisions and rebuild the
index in a loop, printing a line per step, until killed.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path


def make_app(home: Path):
    """The app on an instance whose schema the test already created."""
    os.environ["KBSITE_HOME"] = str(home)
    from kbsite import create_app

    return create_app({
        "TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_URL": f"sqlite:///{home / 'kbsite.db'}",
        "SEARCH_INDEX_DIR": str(home / "search-index"), "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
    })


def draft(title: str, body: str):
    """A FAQ draft."""
    from kbsite.content.service import Draft

    return Draft(title, "售后/并发", [], body, {"summary": title})


def save_shared(worker: str, n: int, admin) -> None:
    """Save the shared item, retrying on conflicts: every save must land."""
    from kbsite.content import service
    from kbsite.errors import Conflict

    while True:
        latest = service.get_item("shared").latest.number
        body = service.get_item("shared").latest.body + f"\n\n第{n}次 tok{worker}s{n}"
        try:
            service.save_revision("shared", draft("共享条目", body), latest, admin)
            return
        except Conflict:
            continue


def run_save(worker: str, count: int) -> None:
    """Create, approve and re-save items concurrently with the other workers."""
    from kbsite.auth.service import get_user
    from kbsite.content import service

    admin = get_user("boss")
    reviewer = get_user("zhou")  # nobody approves their own change, admins included
    for i in range(count):
        slug = f"w{worker}-{i}"
        rev = service.create_item(slug, "faq", draft(f"并发条目{worker}-{i}", f"发布内容 tok{worker}p{i}"), admin)
        service.approve(slug, rev.number, reviewer)
        service.save_revision(slug, draft(f"并发条目{worker}-{i}", f"草稿内容 tok{worker}d{i}"), rev.number, admin)
        save_shared(worker, i, admin)


def run_hammer(worker: str, count: int) -> None:
    """Write the index as hard as possible until killed."""
    from kbsite.auth.service import get_user
    from kbsite.content import service
    from kbsite.search.sync import service as search

    admin = get_user("boss")
    step = 0
    while True:
        slug = f"h{worker}-{step % count}"
        number = service.get_item(slug).latest.number
        body = f"锤子 tok{worker}h{step} " + "退货运费快递物流包裹 " * 2000
        service.save_revision(slug, draft(f"压力条目{step % count}", body), number, admin)
        if step % 3 == 0:
            search().catch_up(force=True)
        print(f"step {step}", flush=True)
        step += 1


def main() -> int:
    """Entry point: HOME MODE WORKER COUNT."""
    home, mode, worker, count = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    app = make_app(home)
    with app.app_context():
        (run_save if mode == "save" else run_hammer)(worker, count)
    app.extensions["kbsite.db"].engine.dispose()
    print("DONE", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
