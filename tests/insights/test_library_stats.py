"""Dashboard statistics over the library: staleness over time, pending reviews, most-copied templates."""

from __future__ import annotations

from datetime import UTC, date, datetime

from kbsite.insights import library


def _item(sess, slug, type_, created, verified=None, interval=30, state="published", category="售后/退换货"):
    from kbsite.content.models import Item, Revision

    item = Item(slug=slug, type=type_, created_at=created, verified_at=verified, review_interval_days=interval)
    sess.add(item)
    sess.flush()
    rev = Revision(item_id=item.id, number=1, title=slug, category=category, content_hash=slug,
                   state=state, created_at=created, message="新建",
                   published_at=created if state == "published" else None)
    sess.add(rev)
    sess.flush()
    item.latest_revision_id = rev.id
    if state == "published":
        item.published_revision_id = rev.id
    return item


def at(y, m, d) -> datetime:
    return datetime(y, m, d, 4, tzinfo=UTC)


def test_stale_counts_rebuild_verification_history(app, make_user):
    from kbsite import audit
    from kbsite.content import health
    from kbsite.db import session, write_session

    trainer = make_user("trainer")
    with app.app_context():
        with write_session() as sess:
            # verified on 1 Oct (30-day interval) and again on 10 Nov, per the audit log
            a = _item(sess, "a", "faq", at(2026, 9, 1), verified=at(2026, 11, 10))
            sess.add(audit.AuditEvent(action="item.verify", target="item:a", at=at(2026, 10, 1)))
            sess.add(audit.AuditEvent(action="item.verify", target="item:a", at=at(2026, 11, 10)))
            # never verified: due 30 days after it was created (19 Nov), stale from 20 Nov
            _item(sess, "b", "policy", at(2026, 10, 20))
            _item(sess, "c", "template", at(2026, 11, 20), verified=at(2026, 11, 20))  # created later
            _item(sess, "d", "case", at(2026, 9, 1))                       # never verified: stale from 2 Oct
            _item(sess, "syn", "synonyms", at(2026, 9, 1))                 # config: not content
            assert a.id
        days = [date(2026, 9, 15), date(2026, 10, 25), date(2026, 11, 5), date(2026, 11, 15), date(2026, 11, 25)]
        # a: due 1 Oct (created), 31 Oct, then 10 Dec; b from 20 Nov; d from 2 Oct
        assert library.stale_counts(session(), days) == [0, 1, 2, 1, 2]
        # today's figure is the review list's
        assert library.stale_counts(session(), [date(2026, 11, 25)]) == [len(health.stale_entries(date(2026, 11, 25)))]
        assert library.content_by_kind(session()) == [("faq", 1), ("policy", 1), ("template", 1), ("case", 1),
                                                    ("announcement", 0)]
        assert library.content_by_category(session()) == [("售后", 4)]
        assert trainer.id


def test_pending_reviews_count_oldest_and_age_buckets(app):
    from kbsite.db import session, write_session

    now = at(2026, 11, 23)
    with app.app_context():
        with write_session() as sess:
            _item(sess, "p1", "faq", at(2026, 11, 13), state="pending")
            _item(sess, "p2", "faq", at(2026, 11, 22), state="pending")
            _item(sess, "d1", "faq", at(2026, 11, 1), state="draft")
        pending = library.pending_reviews(session())
        assert pending.count == 2 and pending.oldest == at(2026, 11, 13)
        assert pending.oldest_days(now) == 10
        assert dict(library.pending_by_age(session(), now)) == {"1天内": 0, "1–3天": 1, "3–7天": 0, "7天以上": 1}
        assert library.PendingReviews(0, None).oldest_days(now) == 0


def test_most_copied_templates_sums_copies(app, make_user):
    from kbsite.db import database, session, write_session
    from kbsite.workspace.models import TemplateCopy

    user = make_user("agent")
    with app.app_context():
        TemplateCopy.__table__.create(database().engine, checkfirst=True)
        with write_session() as sess:
            t1 = _item(sess, "greet", "template", at(2026, 11, 1))
            t2 = _item(sess, "sorry", "template", at(2026, 11, 1))
            sess.add_all([TemplateCopy(item_id=t1.id, user_id=user.id, day=date(2026, 11, 2), count=3),
                          TemplateCopy(item_id=t1.id, user_id=user.id, day=date(2026, 11, 3), count=2),
                          TemplateCopy(item_id=t2.id, user_id=user.id, day=date(2026, 11, 3), count=7)])
        assert library.most_copied_templates(session()) == [("sorry", 7), ("greet", 5)]
