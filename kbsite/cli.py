"""The ``kbsite`` command: thin wrappers around the services."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup
from sqlalchemy import func, inspect, select

from kbsite import files
from kbsite.auth.models import ROLES
from kbsite.auth.permissions import ROLE_LABELS
from kbsite.errors import DomainError


def _create_app() -> Flask:
    from kbsite import create_app

    return create_app()


main = FlaskGroup(create_app=_create_app, add_default_commands=False, add_version_option=False,
                  help="kbsite: knowledge base and phrasing scripts. Works on $KBSITE_HOME (default ./instance).")


def _fail(exc: Exception) -> None:
    click.secho(f"错误：{exc}", fg="red", err=True)
    sys.exit(1)


def check_search_index_folder() -> None:
    """Stop with a plain message (no traceback) when the index folder is read-only or full."""
    from kbsite.search import check_index_folder

    problem = check_index_folder(Path(current_app.config["SEARCH_INDEX_DIR"]))
    if problem:
        _fail(problem)


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


def import_paths(paths: list[Path], default_type: str | None = None) -> None:
    """Parse every file (Markdown leniently, spreadsheets row by row), then apply all in one go."""
    from kbsite.content import imports, service

    sheets = [p for p in paths if p.suffix.lower() in imports.SHEET_SUFFIXES]
    items, derived = _collect_markdown([p for p in paths if p not in sheets], default_type)
    for path in sheets:
        plan = imports.read_sheet_file(path)
        _echo_plan(plan)
        if not plan.ok:
            _fail(f"{path.name}：有 {plan.count('reject')} 行被拒绝，未导入任何内容")
        items += plan.items
    for source, notes in derived.items():
        click.echo(f"{Path(source).name}：自动补全了 {len(notes)} 项")
        for note in notes:
            click.echo(f"  · {note}")
    from kbsite.content import image_files

    stored = image_files.import_files(items)
    click.echo(f"写入数据库并更新搜索索引……（新图片 {stored} 张）")
    report = service.import_items(items, owners=current_app.config["CATEGORY_OWNERS"])
    click.echo(f"导入完成：新建 {len(report.created)}，更新 {len(report.updated)}，未变 {len(report.unchanged)}")


def _collect_markdown(paths: list[Path], default_type: str | None):
    from kbsite.content import imports

    if not paths:
        return [], {}
    bar = None

    def progress(done: int, total: int, _path) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label="读取文件")
            bar.__enter__()
        bar.update(done - bar.pos)

    try:
        return imports.collect_markdown(paths, default_type, progress=progress)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


def _echo_plan(plan) -> None:
    click.echo(f"{plan.name}：新建 {plan.count('create')}，修改 {plan.count('update')}，"
               f"不变 {plan.count('unchanged')}，拒绝 {plan.count('reject')}")
    for row in plan.rows:
        if row.action == "reject":
            click.secho(f"  {row.reason}", fg="red", err=True)
        for note in row.notes:
            click.echo(f"  {row.where}：{note}")


def startup_summary(address: str, stats: dict, accounts: tuple[str, list], serving: str = "") -> list[str]:
    """What ``kbsite run`` and ``serve`` print once ready: address, database, index, library, accounts."""
    from kbsite.auth.permissions import ROLE_LABELS
    from kbsite.content.models import Item
    from kbsite.db import database, session
    from kbsite.web import TYPE_LABELS

    url = database().engine.url
    kind = {"sqlite": "SQLite（内置）", "postgresql": "PostgreSQL"}.get(url.get_backend_name(), url.get_backend_name())
    counts = dict(session().execute(select(Item.type, func.count()).group_by(Item.type)).all())
    library = "，".join(f"{TYPE_LABELS.get(t, t)} {n}" for t, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    if stats.get("rebuilt"):
        index = f"已重建（{stats['rebuilt']} 条）"
    elif stats.get("updated") or stats.get("deleted"):
        index = f"已同步（更新 {stats.get('updated', 0)} 条，删除 {stats.get('deleted', 0)} 条）"
    else:
        index = "已是最新"
    lines = ["", f"kbsite 已启动：http://{address}/{serving}",
             f"  数据库：{kind}  {url.render_as_string(hide_password=True)}",
             f"  搜索索引：{index}",
             f"  内容：共 {sum(counts.values())} 条" + (f"（{library}）" if library else "")]
    title, shown = accounts
    if shown:
        lines.append(title)
        lines += [f"  {c.username:10s} 密码 {c.password:22s} 角色 {ROLE_LABELS.get(c.role, c.role)}"
                  for c in shown]
    lines.append("按 Ctrl+C 停止。")
    return lines


def _table_progress(table: str, rows: int) -> None:
    click.echo(f"  {table}: {rows} 行")


def ensure_accounts(demo: bool) -> tuple[str, list]:
    """Demo accounts when asked for; otherwise first accounts once, and no documented password left."""
    from kbsite.auth import bootstrap
    from kbsite.db import database

    if demo:
        shown = bootstrap.ensure_demo_accounts()
        title = "演示账号（密码写在 README 里，人人皆知：只用于试用，切勿用于正式环境）："
    else:
        embedded = database().engine.dialect.name == "sqlite"
        shown = bootstrap.bootstrap_accounts(embedded) + bootstrap.retire_demo_passwords()
        title = "首批账号的随机密码（只显示这一次，请立即记下；首次登录后必须修改）："
    return title, shown


def prepare_instance(demo: bool) -> tuple[dict, tuple[str, list]]:
    """Everything a server needs before it answers: schema, starter library, accounts, index.

    Returns the index catch-up figures and the accounts to show once (a heading and credentials).
    """
    from kbsite.content.service import rerender_outdated
    from kbsite.search import service

    check_search_index_folder()
    if not has_schema():
        click.echo("新实例：创建数据库并导入入门内容库……")
        init_database()
        import_paths([Path(p) for p in current_app.config["STARTER_PATHS"] if Path(p).exists()])
    else:
        bring_schema_up_to_date()
    accounts = ensure_accounts(demo)
    if rerendered := rerender_outdated():
        click.echo(f"已按新的渲染规则重新生成 {rerendered} 个版本的 HTML")
    return service().catch_up(), accounts


def init_app(app: Flask) -> None:
    """Register the commands on the app's CLI group."""

    @app.cli.command("init-db")
    def init_db_cmd():
        """Create an empty database (schema only), or bring an existing one's schema up to date."""
        init_database()
        click.echo(f"数据库已就绪：{current_app.config['SQLALCHEMY_URL']}")

    @app.cli.command("import")
    @click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
    @click.option("--type", "default_type", type=click.Choice(list(files.KINDS)),
                  help="Type for Markdown files that name none and sit in no typed folder")
    def import_cmd(paths, default_type):
        """Import Markdown files and .xlsx/.csv template sheets (all-or-nothing)."""
        if not has_schema():
            init_database()
        try:
            import_paths(list(paths), default_type)
        except files.ImportFailed as exc:
            for err in exc.errors:
                click.secho(str(err), fg="red", err=True)
            click.secho(f"导入失败：{len(exc.errors)} 个错误，未导入任何内容", fg="red", err=True)
            sys.exit(1)
        except DomainError as exc:
            _fail(exc)

    @app.cli.command("export")
    @click.argument("dest", required=False, type=click.Path(file_okay=False, path_type=Path))
    @click.option("--xlsx", "xlsx", type=click.Path(dir_okay=False, path_type=Path),
                  help="Write the phrasing templates to this .xlsx file instead")
    def export_cmd(dest, xlsx):
        """Export the whole library as Markdown files, or the templates as a spreadsheet."""
        from kbsite.content import image_files, imports, service
        from kbsite.phrasing import sheet

        if xlsx is not None:
            templates = imports.export_templates()
            xlsx.write_bytes(sheet.write_xlsx(templates))
            click.echo(f"已导出 {len(templates)} 条话术模板到 {xlsx}")
            return
        if dest is None:
            _fail("请给出导出目录，或用 --xlsx 文件名 导出话术表格")
        items = service.export_items()
        written = files.write_tree(items, dest)
        pictures = image_files.export_files(items, dest)
        click.echo(f"已导出 {len(written)} 个文件、{pictures} 张图片到 {dest}")

    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--role", required=True, type=click.Choice(ROLES),
                  help="trainee=新人学员, agent=客服, trainer=培训师, admin=管理员")
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    @click.option("--name", default="", help="Display name")
    def create_user_cmd(username, role, password, name):
        """Create a user account."""
        from kbsite.auth import service

        try:
            service.create_user(username, role, password, name)
        except DomainError as exc:
            _fail(exc)
        click.echo(f"已创建用户 {username}（{ROLE_LABELS[role]}）")

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
        from kbsite.search import service

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
        from kbsite.search import service

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
    @click.option("--demo", is_flag=True, help="Create the demo accounts whose passwords the README lists")
    def run_cmd(host, port, threads, demo):
        """Serve the site (waitress); a new instance gets a database, the starter library and first accounts."""
        from waitress import serve

        stats, accounts = prepare_instance(demo)
        for line in startup_summary(f"{host}:{port}", stats, accounts):
            click.echo(line)
        logging.getLogger("waitress").setLevel(logging.WARNING)  # the summary above says it all
        serve(current_app._get_current_object(), host=host, port=port, threads=threads,
              ident="kbsite")

    @app.cli.command("serve")
    @click.option("--bind", default=None, help="HOST:PORT to listen on [KBSITE_BIND, 127.0.0.1:8000]")
    @click.option("--workers", default=None, type=click.IntRange(1, 64),
                  help="Worker processes [KBSITE_WORKERS, 2]")
    @click.option("--threads", default=None, type=click.IntRange(1, 256),
                  help="Threads per process [KBSITE_THREADS, 8]")
    @click.option("--preload", is_flag=True, help="Build the app once before forking the workers")
    @click.option("--demo", is_flag=True, help="Create the demo accounts whose passwords the README lists")
    def serve_cmd(bind, workers, threads, preload, demo):
        """Serve the site under gunicorn: several processes, several threads each (Linux)."""
        from kbsite import accesslog, serving

        if sys.platform == "win32":
            _fail("kbsite serve 需要 Linux（gunicorn）；在 Windows 上请用 kbsite run")
        cfg = current_app.config
        accesslog.configure_logging(cfg["LOG_FORMAT"])
        stats, accounts = prepare_instance(demo)
        if cfg["METRICS"]:
            serving.prepare_metrics_dir(Path(current_app.instance_path))
        serving.release_handles(current_app._get_current_object())  # nothing open crosses the fork
        bind = bind or cfg["BIND"]
        workers, threads = workers or int(cfg["WORKERS"]), threads or int(cfg["THREADS"])
        for line in startup_summary(bind, stats, accounts, f"（{workers} 个进程 × {threads} 个线程）"):
            click.echo(line)
        serving.serve(bind, workers, threads, int(cfg["WORKER_TIMEOUT"]),
                      serving.worker_app() if preload else None,
                      serving.control_socket(Path(current_app.instance_path), str(cfg["CONTROL_SOCKET"])))
