"""The kbsite command: import (idempotent, all-or-nothing), export round trip, users, tokens, run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kbsite.config import PROJECT_ROOT
from kbsite.content.models import Item, Revision


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def counts(app):
    with app.app_context():
        from kbsite.db import session

        return (session().scalar(select(func.count(Item.id))),
                session().scalar(select(func.count(Revision.id))))


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


FAQ = "---\ntitle: 运费谁出？\ntype: faq\ncategory: 售后/退换货\ntags: [运费]\nsummary: 质量问题我们承担。\n---\n正文\n"


def test_import_is_idempotent_and_a_changed_file_adds_one_revision(app, runner, tmp_path):
    src = write(tmp_path / "lib" / "faq", "shipping-fee.md", FAQ)
    assert runner.invoke(args=["import", str(tmp_path / "lib")]).exit_code == 0
    assert counts(app) == (1, 1)
    again = runner.invoke(args=["import", str(tmp_path / "lib")])
    assert again.exit_code == 0 and "未变 1" in again.output
    assert counts(app) == (1, 1)
    src.write_text(FAQ.replace("正文", "改过的正文"), encoding="utf-8")
    runner.invoke(args=["import", str(tmp_path / "lib")])
    assert counts(app) == (1, 2)


def test_a_malformed_file_imports_nothing_and_names_file_and_line(app, runner, tmp_path):
    write(tmp_path / "lib", "good-one.md", FAQ)
    write(tmp_path / "lib", "broken.md", "---\ntitle: [未闭合\ntype: faq\n---\n正文\n")
    result = runner.invoke(args=["import", str(tmp_path / "lib")])
    assert result.exit_code == 1
    assert "broken.md:3: front matter 的 YAML 格式错误" in result.output and "未导入任何内容" in result.output
    assert counts(app) == (0, 0)


def test_export_then_import_changes_nothing(app, runner, tmp_path):
    assert runner.invoke(args=["import", str(PROJECT_ROOT / "content"), str(PROJECT_ROOT / "scripts_lib")]).exit_code == 0
    before = counts(app)
    out = tmp_path / "export"
    result = runner.invoke(args=["export", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "content" / "faq").is_dir() and (out / "scripts_lib").is_dir()
    again = runner.invoke(args=["import", str(out)])
    assert again.exit_code == 0 and "新建 0，更新 0" in again.output
    assert counts(app) == before
    # and exporting again yields byte-identical files
    out2 = tmp_path / "export2"
    runner.invoke(args=["export", str(out2)])
    for path in out.rglob("*.md"):
        assert path.read_bytes() == (out2 / path.relative_to(out)).read_bytes()


def test_create_user_and_token(app, runner):
    result = runner.invoke(args=["create-user", "wang", "--role", "agent", "--password", "long-enough-pw"])
    assert result.exit_code == 0, result.output
    dup = runner.invoke(args=["create-user", "wang", "--role", "agent", "--password", "long-enough-pw"])
    assert dup.exit_code == 1 and "已存在" in dup.output
    token = runner.invoke(args=["create-token", "wang"]).output.strip().splitlines()[-1]
    assert token.startswith("kb_")
    c = app.test_client()
    assert c.get("/api/search?q=x", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert c.get("/api/search?q=x", headers={"Authorization": "Bearer kb_wrong"}).status_code == 401


def test_run_on_a_new_instance_imports_the_library_and_prints_accounts(tmp_path, monkeypatch):
    import waitress
    from tests_support import build_app

    served = {}
    monkeypatch.setattr(waitress, "serve", lambda app, **kw: served.update(kw))
    home = tmp_path / "fresh"
    app = build_app(home)
    # a brand-new instance has no schema: drop what build_app created
    with app.app_context():
        from kbsite.db import Base, database

        Base.metadata.drop_all(database().engine)
    result = app.test_cli_runner().invoke(args=["run", "--port", "5055"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:5055/" in result.output
    assert "首批账号的随机密码" in result.output and "demo-agent-pass" not in result.output
    # a readable summary, not raw dicts or logs
    assert "数据库：SQLite（内置）" in result.output and "搜索索引：已" in result.output
    assert "常见问题 57" in result.output and "角色 客服" in result.output
    assert "{'" not in result.output and "rebuilt" not in result.output
    assert served["port"] == 5055
    items, _ = counts(app)
    assert items > 150
    second = app.test_cli_runner().invoke(args=["run"])
    assert "新实例" not in second.output and counts(app)[0] == items
    assert "搜索索引：已是最新" in second.output and f"内容：共 {items} 条" in second.output


def test_reindex_reports_progress(library_app):
    result = library_app.test_cli_runner().invoke(args=["reindex", "--full"])
    assert result.exit_code == 0 and "索引已更新" in result.output
    shutil.rmtree(library_app.config["SEARCH_INDEX_DIR"])
    result = library_app.test_cli_runner().invoke(args=["reindex"])
    assert result.exit_code == 0 and "重建" in result.output


def _instance_at(tmp_path, monkeypatch, url: str | None, revision: str):
    """An app whose database was migrated only up to ``revision`` (an older release's schema)."""
    import waitress

    from kbsite import create_app, migrations

    monkeypatch.setattr(waitress, "serve", lambda app, **kw: None)
    home = tmp_path / "old"
    monkeypatch.setenv("KBSITE_HOME", str(home))
    url = url or f"sqlite:///{home / 'kbsite.db'}"
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_URL": url,
                      "SEARCH_INDEX_DIR": str(home / "search-index")})
    migrations.upgrade(url, revision)
    return app


def test_run_upgrades_an_older_sqlite_instance_before_serving(tmp_path, monkeypatch):
    from kbsite import migrations

    app = _instance_at(tmp_path, monkeypatch, None, "0002")
    result = app.test_cli_runner().invoke(args=["run"])
    assert result.exit_code == 0, result.output
    assert f"升级数据库结构：0002 → {migrations.head_revision()}" in result.output and "新实例" not in result.output
    with app.app_context():
        from kbsite.db import database

        with database().engine.connect() as conn:
            assert migrations.current_revision(conn) == migrations.head_revision()
        database().engine.dispose()
    assert "升级数据库结构" not in app.test_cli_runner().invoke(args=["run"]).output


@pytest.mark.postgres
def test_run_refuses_a_server_database_behind_the_code_and_init_db_upgrades_it(tmp_path, monkeypatch, pg_url):
    from kbsite import migrations

    app = _instance_at(tmp_path, monkeypatch, pg_url, "0002")
    refused = app.test_cli_runner().invoke(args=["run"])
    assert refused.exit_code == 1 and "请先运行一次 kbsite init-db" in refused.output
    assert app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    assert app.test_cli_runner().invoke(args=["run"]).exit_code == 0
    with app.app_context():
        from kbsite.db import database

        with database().engine.connect() as conn:
            assert migrations.current_revision(conn) == migrations.head_revision()
        database().engine.dispose()
