"""An instance's first accounts: random one-time passwords, created once per database.

Demo accounts with documented passwords exist only when asked for (``kbsite run
--demo``). Without it, a new database gets an administrator (and, on the embedded
SQLite default, one account per role so a newcomer can look around) with random
passwords that are printed once and must be changed at first sign-in. A flag row
records that this happened, so an account deleted, renamed or disabled later is
never recreated. Accounts still on a documented demo password are given a random
one when the instance starts without ``--demo``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from kbsite import audit
from kbsite.auth import service
from kbsite.auth.models import SiteFlag, User
from kbsite.db import session, write_session

BOOTSTRAP_FLAG = "accounts.bootstrapped"

# Documented in the README: only ever created by `kbsite run --demo`.
DEMO_ACCOUNTS = [
    ("agent", "agent", "demo-agent-pass", "客服小王"),
    ("newbie", "trainee", "demo-trainee-pass", "新人小陈"),
    ("trainer", "trainer", "demo-trainer-pass", "培训师李老师"),
    ("reviewer", "trainer", "demo-reviewer-pass", "培训师周老师"),
    ("admin", "admin", "demo-admin-pass", "管理员"),
]
FIRST_ADMIN = ("admin", "admin", "管理员")
LOOK_AROUND = [("trainer", "trainer", "培训师"), ("agent", "agent", "客服"),
               ("newbie", "trainee", "新人学员")]


@dataclass(frozen=True)
class Credential:
    """An account and the password to show once."""

    username: str
    password: str
    role: str


def random_password() -> str:
    """A one-time password: 16 URL-safe characters (96 bits)."""
    return secrets.token_urlsafe(12)


def bootstrap_accounts(embedded: bool) -> list[Credential]:
    """Create the first accounts once per database; [] when it happened before or users exist."""
    wanted = [FIRST_ADMIN, *(LOOK_AROUND if embedded else [])]
    made = [(name, role, display, random_password()) for name, role, display in wanted]
    hashes = {name: service.hash_password(pw) for name, _, _, pw in made}
    try:
        with write_session() as sess:
            if sess.get(SiteFlag, BOOTSTRAP_FLAG) is not None:
                return []
            existing = sess.scalar(select(func.count(User.id))) or 0
            sess.add(SiteFlag(name=BOOTSTRAP_FLAG, value="existing" if existing else "created"))
            if existing:  # an instance from before this flag: its accounts are its own
                return []
            for name, role, display, _ in made:
                sess.add(User(username=name, role=role, display_name=display,
                              password_hash=hashes[name], must_change_password=True))
            audit.record(sess, None, "site.bootstrap", "site", accounts=[m[0] for m in made])
    except IntegrityError:  # another process bootstrapped this database at the same moment
        return []
    return [Credential(name, pw, role) for name, role, _, pw in made]


def ensure_demo_accounts() -> list[Credential]:
    """Create the missing demo accounts (``--demo`` only); list those on their demo password."""
    shown = []
    for username, role, password, display in DEMO_ACCOUNTS:
        user = session().scalar(select(User).where(User.username == username))
        if user is None:
            user = service.create_user(username, role, password, display)
        if service.check_password(user, password):
            shown.append(Credential(username, password, role))
    with write_session() as sess:
        if sess.get(SiteFlag, BOOTSTRAP_FLAG) is None:
            sess.add(SiteFlag(name=BOOTSTRAP_FLAG, value="demo"))
    return shown


def retire_demo_passwords() -> list[Credential]:
    """Give every account still on a documented password a random one (must change)."""
    retired = []
    for username, _role, password, _display in DEMO_ACCOUNTS:
        user = session().scalar(select(User).where(User.username == username))
        if user is None or not service.check_password(user, password):
            continue
        fresh = random_password()
        service.force_password(user.id, fresh, demo_retired=True)
        retired.append(Credential(username, fresh, user.role))
    return retired
