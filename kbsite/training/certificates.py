"""Course certificates: a serial anyone can verify, and the policy versions they were earned on.

A certificate is issued the first time a trainee opens the certificate of a
complete course, and records the revision number of every knowledge entry the
course's lessons and quizzes cite. It stays *current* while each of those entries
is still at that revision (for policies: the revision in force); once one changed,
verification says which one, and completing the reopened steps issues a new one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select

from kbsite.auth.models import User
from kbsite.content import service as content
from kbsite.content.models import Item
from kbsite.db import session, utcnow, write_session
from kbsite.errors import NotFound
from kbsite.training import recertify
from kbsite.training.models import Certificate
from kbsite.training.progress import CourseProgress

_SERIAL_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or typed safely


def new_serial() -> str:
    """``KB-YYYYMMDD-XXXXXXXX``: the issue date and 40 random bits."""
    code = "".join(secrets.choice(_SERIAL_ALPHABET) for _ in range(8))
    return f"KB-{utcnow():%Y%m%d}-{code}"


def course_citations(cp: CourseProgress) -> set[str]:
    """Every knowledge slug the course's steps cite."""
    cites = recertify.citations()
    return {slug for s in cp.steps for slug in cites.get((s.kind, s.slug), ())}


def current_versions(slugs: set[str]) -> dict[str, dict]:
    """``{slug: {"number", "title"}}`` of what agents see now (policies: the revision in force)."""
    out = {}
    for item in session().scalars(select(Item).where(Item.slug.in_(slugs))):
        rev = content.agent_revision(item)
        if rev is not None:
            out[item.slug] = {"number": rev.number, "title": rev.title}
    return out


def issue(user: User, cp: CourseProgress) -> Certificate:
    """The user's current certificate for a complete course, issuing a new one when none is current."""
    versions = current_versions(course_citations(cp))
    with write_session() as sess:
        latest = sess.scalar(select(Certificate).where(
            Certificate.user_id == user.id, Certificate.course_slug == cp.slug)
            .order_by(Certificate.issued_at.desc(), Certificate.id.desc()).limit(1))
        if latest is not None and latest.versions == versions:
            return latest
        cert = Certificate(serial=new_serial(), user_id=user.id, course_slug=cp.slug, course_title=cp.title,
                           score=cp.score, completed_at=cp.completed_at or utcnow(), versions=versions)
        sess.add(cert)
        sess.flush()
        return cert


@dataclass(frozen=True)
class Outdated:
    """One cited entry that changed since the certificate was issued."""

    slug: str
    title: str
    issued_number: int
    current_number: int | None  # None: the entry is no longer published


@dataclass(frozen=True)
class Verification:
    """A certificate and whether it is still current."""

    certificate: Certificate
    holder: str
    outdated: tuple[Outdated, ...]

    @property
    def current(self) -> bool:
        return not self.outdated

    @property
    def status(self) -> str:
        """What the public page says."""
        if self.current:
            return "有效：证书依据的政策均为现行版本"
        return "已失效：" + "；".join(
            f"政策「{o.title}」已更新" if o.current_number is not None else f"政策「{o.title}」已下线"
            for o in self.outdated)


def verify(serial: str) -> Verification:
    """Look a certificate up by serial and compare its versions with what is in force now."""
    cert = session().scalar(select(Certificate).where(Certificate.serial == serial.strip().upper()))
    if cert is None:
        raise NotFound("没有这个编号的证书，请核对编号")
    now = current_versions(set(cert.versions))
    outdated = tuple(
        Outdated(slug, (now.get(slug) or v)["title"], v["number"], now[slug]["number"] if slug in now else None)
        for slug, v in sorted(cert.versions.items())
        if slug not in now or now[slug]["number"] != v["number"])
    return Verification(cert, cert.user.name, outdated)


def cited_titles(cert: Certificate) -> list[tuple[str, str, int]]:
    """``(slug, title, revision number)`` of the entries a certificate was earned on, by title."""
    return sorted(((s, v["title"], v["number"]) for s, v in cert.versions.items()), key=lambda r: r[1])
