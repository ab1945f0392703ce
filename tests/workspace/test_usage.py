"""Copy counts per template/user/day, favourites and the recent list."""

from __future__ import annotations

from datetime import timedelta

ALL = {"客户称呼": "王女士", "新规格": "M码"}


def copy(client, slug="exchange-size", **body):
    body.setdefault("values", ALL)
    return client.post(f"/api/templates/{slug}/copy", json=body)


def test_copy_renders_and_counts_per_day(agent, library_app):
    first, second = copy(agent), copy(agent)
    assert first.status_code == second.status_code == 200
    assert first.json["text"].startswith("王女士，") and first.json["revision"] == 1
    assert (first.json["copies_today"], second.json["copies_today"]) == (1, 2)
    from kbsite.workspace.models import TemplateCopy

    with library_app.app_context():
        from kbsite.db import session

        rows = session().query(TemplateCopy).all()
    assert len(rows) == 1 and rows[0].count == 2


def test_copy_refuses_gaps_unless_partial(agent):
    gap = copy(agent, values={"客户称呼": "王女士"})
    assert gap.status_code == 400 and gap.json["missing"] == ["新规格"]
    partial = copy(agent, values={"客户称呼": "王女士"}, partial=True)
    assert partial.status_code == 200 and "{{新规格}}" in partial.json["text"]
    unknown = copy(agent, values={"客户称呼": "王女士", "别的": "x"}, partial=True)
    assert unknown.status_code == 400 and unknown.json["unknown"] == ["别的"]


def test_most_used_templates_are_shared_with_trainers(agent, trainer):
    for _ in range(3):
        copy(agent)
    copy(agent, "greeting-standard", values={}, partial=True)
    popular = trainer.get("/api/me/templates").json["popular"]
    assert [(p["slug"], p["count"]) for p in popular[:2]] == [("exchange-size", 3), ("greeting-standard", 1)]
    page = trainer.get("/search").get_data(as_text=True)
    assert "常用话术" in page and "尺码不合适换货指引" in page and "3 次" in page


def test_popular_only_counts_recent_days(agent, library_app):
    copy(agent)
    from kbsite.workspace.models import TemplateCopy

    with library_app.app_context():
        from kbsite.db import write_session

        with write_session() as sess:
            row = sess.query(TemplateCopy).one()
            row.day = row.day - timedelta(days=45)
    assert agent.get("/api/me/templates").json["popular"] == []


def test_recent_is_per_user_newest_first_and_pruned(agent, trainer, library_app):
    from kbsite.content.models import Item

    with library_app.app_context():
        from kbsite.db import session

        slugs = [i.slug for i in session().query(Item).filter(Item.type == "template").limit(12)]
    for slug in slugs:
        assert copy(agent, slug, values={}, partial=True).status_code == 200
    recent = [r["slug"] for r in agent.get("/api/me/templates").json["recent"]]
    assert recent == list(reversed(slugs))[:10]
    copy(agent, slugs[0], values={}, partial=True)
    assert agent.get("/api/me/templates").json["recent"][0]["slug"] == slugs[0]
    assert trainer.get("/api/me/templates").json["recent"] == []


def test_favourites_toggle_idempotently(agent):
    url = "/api/templates/exchange-size/favourite"
    assert agent.put(url).json == {"slug": "exchange-size", "favourite": True}
    assert agent.put(url).status_code == 200
    assert agent.get("/api/templates/exchange-size").json["favourite"] is True
    favs = agent.get("/api/me/templates").json["favourites"]
    assert [f["slug"] for f in favs] == ["exchange-size"]
    page = agent.get("/search").get_data(as_text=True)
    assert 'data-template="exchange-size"' in page
    assert agent.delete(url).json["favourite"] is False
    assert agent.delete(url).status_code == 200
    assert agent.get("/api/me/templates").json["favourites"] == []


def test_favourite_of_a_non_template_is_404(agent):
    assert agent.put("/api/templates/size-exchange/favourite").status_code == 404


def test_writes_need_the_csrf_header_in_a_session(library_app, agent):
    del agent.environ_base["HTTP_X_CSRFTOKEN"]
    assert copy(agent).status_code == 400
    assert agent.put("/api/templates/exchange-size/favourite").status_code == 400
