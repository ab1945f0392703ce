"""The ``kbsite`` command: thin wrappers around the services."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup
from sqlalchemy import inspect, select

from kbsite import files
from kbsite.errors import DomainError

DEMO_ACCOUNTS = [
    ("agent", "agent", "demo-agent-pass", "客服小王"),
    ("trainer", "trainer", "demo-trainer-pass", "培训师李老师"),
    ("reviewer", "trainer", "demo-reviewer-pass", "培训师周老师"),
    ("admin", "admin", "demo-admin-pass", "管理员"),
]


def _create_app() -> Flask:
    from kbsite import create_app

    return create_app()


main = FlaskGroup(create_app=_create_app, add_default_commands=False, add_version_option=False,
                  help="kbsite: knowledge base and phrasing scripts. Works on $KBSITE_HOME (default ./instance).")


def _fail(exc: Exception) -> None:
    click.secho(f"错误：{exc}", fg="red", err=True)
    sys.exit(1)


def has_schema() -> bool:
    """True if the database already has kbsite's tables."""
    from kbsite.db import database

    return inspect(database().engine).has_table("items")


def init_database() -> None:
    """Create the schema on an empty database (through the Alembic migrations)."""
    from kbsite import migrations

    migrations.upgrade(current_app.config["SQLALCHEMY_URL"])


def bring_schema_up_to_date() -> None:
    """Apply new migrations to an existing database before serving it.

    The embedded SQLite database is upgraded on the spot (one host, one file).
    A server database shared by several instances is only checked: upgrading it
    from every instance at once would race, so the operator runs ``init-db`` once.
    """
    from kbsite import migrations
    from kbsite.db import database

    engine = database().engine
    with engine.connect() as conn:
        current, head = migrations.current_revision(conn), migrations.head_revision()
    if current is None or current == head:
        return
    if engine.dialect.name != "sqlite":
        _fail(f"数据库结构版本是 {current}，本程序需要 {head}：请先运行一次 kbsite init-db 升级，再启动各实例")
    click.echo(f"升级数据库结构：{current} → {head}")
    init_database()


def import_paths(paths: list[Path]) -> None:
    """Parse every file, then apply all of them in one transaction, with progress."""
    from kbsite.content import service

    bar = None

    def progress(done: int, total: int, _path) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label="读取文件")
            bar.__enter__()
        bar.update(done - bar.pos)

    try:
        items = files.collect(paths, progress=progress)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    from kbsite.content import image_files

    stored = image_files.import_files(items)
    click.echo(f"写入数据库并更新搜索索引……（新图片 {stored} 张）")
    report = service.import_items(items)
    click.echo(f"导入完成：新建 {len(report.created)}，更新 {len(report.updated)}，未变 {len(report.unchanged)}")


def _table_progress(table: str, rows: int) -> None:
    click.echo(f"  {table}: {rows} 行")


def ensure_demo_users() -> list[tuple[str, str, str]]:
    """Create the demo accounts if missing; return those still on their demo password."""
    from kbsite.auth import service
    from kbsite.auth.models import User
    from kbsite.db import session

    shown = []
    for username, role, password, display in DEMO_ACCOUNTS:
        user = session().scalar(select(User).where(User.username == username))
        if user is None:
            user = service.create_user(username, role, password, display)
        if service.check_password(user, password):
            shown.append((username, password, role))
    return shown


def init_app(app: Flask) -> None:
    """Register the commands on the app's CLI group."""

    @app.cli.command("init-db")
    def init_db_cmd():
        """Create an empty database (schema only), or bring an existing one's schema up to date."""
        init_database()
        click.echo(f"数据库已就绪：{current_app.config['SQLALCHEMY_URL']}")

    @app.cli.command("import")
    @click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
    def import_cmd(paths):
        """Import Markdown files (all-or-nothing; unchanged files make no revision)."""
        if not has_schema():
            init_database()
        try:
            import_paths(list(paths))
        except files.ImportFailed as exc:
            for err in exc.errors:
                click.secho(str(err), fg="red", err=True)
            click.secho(f"导入失败：{len(exc.errors)} 个错误，未导入任何内容", fg="red", err=True)
            sys.exit(1)
        except DomainError as exc:
            _fail(exc)

    @app.cli.command("export")
    @click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
    def export_cmd(dest):
        """Export the whole library as Markdown files with YAML front matter."""
        from kbsite.content import image_files, service

        items = service.export_items()
        written = files.write_tree(items, dest)
        pictures = image_files.export_files(items, dest)
        click.echo(f"已导出 {len(written)} 个文件、{pictures} 张图片到 {dest}")

    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--role", required=True, type=click.Choice(["agent", "trainer", "admin"]))
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    @click.option("--name", default="", help="Display name")
    def create_user_cmd(username, role, password, name):
        """Create a user account."""
        from kbsite.auth import service

        try:
            service.create_user(username, role, password, name)
        except DomainError as exc:
            _fail(exc)
        click.echo(f"已创建用户 {username}（{role}）")

    @app.cli.command("create-token")
    @click.argument("username")
    @click.option("--name", default="cli", help="What the token is for")
    def create_token_cmd(username, name):
        """Print a new API bearer token for USERNAME (last line of output)."""
        from kbsite.auth import service

        try:
            token = service.create_token(username, name)
        except DomainError as exc:
            _fail(exc)
        click.echo(f"API 令牌（只显示这一次）for {username}:")
        click.echo(token)

    @app.cli.command("backup")
    @click.argument("dest", type=click.Path(dir_okay=False, path_type=Path))
    def backup_cmd(dest):
        """Write the whole database (history, users, training, logs) to one zip file."""
        from kbsite import backup
        from kbsite.db import database

        if dest.exists():
            _fail(f"{dest} 已存在，不会覆盖")
        tmp = dest.with_name(dest.name + ".part")
        try:
            report = backup.write_backup(database().engine, tmp, progress=_table_progress)
            tmp.replace(dest)
        finally:
            tmp.unlink(missing_ok=True)
        click.echo(f"已备份 {report.total} 行（{len(report.rows)} 张表）到 {dest}")

    @app.cli.command("restore")
    @click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def restore_cmd(source):
        """Load a backup into an empty database, then rebuild the search index."""
        from kbsite import backup
        from kbsite.db import database
        from kbsite.search.sync import service

        if not has_schema():
            init_database()
        try:
            report = backup.restore_backup(database().engine, source, progress=_table_progress)
        except DomainError as exc:
            _fail(exc)
        click.echo(f"已恢复 {report.total} 行（{len(report.rows)} 张表）；正在重建搜索索引……")
        stats = service().catch_up(force=True)
        click.echo(f"搜索索引已重建：{stats['rebuilt']} 条")

    @app.cli.command("reindex")
    @click.option("--full", is_flag=True, help="Rebuild from scratch instead of catching up")
    def reindex_cmd(full):
        """Bring the search index up to date with the database."""
        from kbsite.search.sync import service

        bars: list = []

        def progress(done: int, total: int) -> None:
            if not bars:
                bars.append(click.progressbar(length=total, label="更新索引"))
                bars[0].__enter__()
            bars[0].update(done - bars[0].pos)

        try:
            stats = service().catch_up(progress=progress, force=full)
        finally:
            if bars:
                bars[0].__exit__(None, None, None)
        click.echo(f"索引已更新：重建 {stats['rebuilt']}，更新 {stats['updated']}，删除 {stats['deleted']}")

    @app.cli.command("run")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=5000, show_default=True, type=int)
    @click.option("--threads", default=8, show_default=True, type=int)
    def run_cmd(host, port, threads):
        """Serve the site; a new instance gets a database, the starter library and demo accounts."""
        from waitress import serve

        from kbsite.search.sync import service

        if not has_schema():
            click.echo("新实例：创建数据库并导入入门内容库……")
            init_database()
            import_paths([Path(p) for p in current_app.config["STARTER_PATHS"] if Path(p).exists()])
        else:
            bring_schema_up_to_date()
        from kbsite.content.service import rerender_outdated

        accounts = ensure_demo_users()
        if rerendered := rerender_outdated():
            click.echo(f"已按新的渲染规则重新生成 {rerendered} 个版本的 HTML")
        stats = service().catch_up()
        click.echo(f"搜索索引：{stats}")
        click.echo(f"\nkbsite 已启动：http://{host}:{port}/")
        if accounts:
            click.echo("演示账号（请在正式使用前修改密码）：")
            for username, password, role in accounts:
                click.echo(f"  {username:10s} 密码 {password:22s} 角色 {role}")
        serve(current_app._get_current_object(), host=host, port=port, threads=threads,
              ident="kbsite")
