"""The 'account' bundle as a Python engineer's ORM sees it: SQLAlchemy 2.0 declarative mapping of
profiles, user_roles and auth_audit_log (only what the bundle needs), and a page of users loaded
with each relationship loader. Statements are counted with the `before_cursor_execute` event.

The relationships join on user_id = profiles.id. In the star the foreign keys point at
auth.users, so the ORM is told the join (`ForeignKey` in the mapping only; no DDL is emitted).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

import psycopg
from sqlalchemy import BigInteger, ForeignKey, Text, create_engine, event, inspect, select
from sqlalchemy.dialects.postgresql import INET, JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    joinedload,
    lazyload,
    mapped_column,
    relationship,
    selectinload,
    subqueryload,
)

from bench.measure.bundles import Answer


class Base(DeclarativeBase):
    pass


class Profile(Base):
    __tablename__ = "profiles"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(Text)
    full_name: Mapped[str | None] = mapped_column(Text)
    avatar_url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    user_roles: Mapped[list[UserRole]] = relationship(lazy="select")
    auth_audit_log: Mapped[list[AuditEntry]] = relationship(lazy="select")


class UserRole(Base):
    __tablename__ = "user_roles"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("profiles.id"))
    role: Mapped[str] = mapped_column(Text)
    granted_at: Mapped[datetime]


class AuditEntry(Base):
    __tablename__ = "auth_audit_log"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("profiles.id"))
    action: Mapped[str] = mapped_column(Text)
    ip_address: Mapped[str | None] = mapped_column(INET)
    user_agent: Mapped[str | None] = mapped_column(Text)
    metadata_: Mapped[dict] = mapped_column("metadata", JSONB)
    created_at: Mapped[datetime]


LOADERS = {  # strategy id -> loader options for both collections
    "orm_lazy": lazyload,  # N+1: one SELECT per user per collection, on first access
    "orm_selectin": selectinload,  # one SELECT per collection: WHERE user_id IN (page's ids)
    "orm_joined": joinedload,  # one SELECT, LEFT OUTER JOINs (roles x audit rows per user)
    "orm_subquery": subqueryload,  # one SELECT per collection, re-running the page query as a subquery
}


@dataclass
class Counter:
    """Statements the ORM sent (one `before_cursor_execute` per statement)."""

    statements: int = 0
    texts: list[str] = field(default_factory=list)
    keep: bool = False

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        self.statements += 1
        if self.keep:
            self.texts.append(statement)


def engine(dsn: str) -> tuple[Engine, Counter]:
    """An engine on `dsn` (a libpq string, possibly the delay proxy's) and its statement counter.
    One pooled connection, as a web worker holds."""
    eng = create_engine("postgresql+psycopg://", creator=lambda: psycopg.connect(dsn), pool_size=1, max_overflow=0)
    counter = Counter()
    event.listen(eng, "before_cursor_execute", counter)
    return eng, counter


def load_page(eng: Engine, loader: str, size: int, after: str) -> dict[str, Answer]:
    """One request: a session, the page of `size` profiles after the cursor id `after` (keyset
    pagination) and, through the relationships, each user's roles and audit entries; the bundle
    per user id, as plain rows."""
    option = LOADERS[loader]
    query = (select(Profile).where(Profile.id > uuid.UUID(after)).order_by(Profile.id).limit(size)
             .options(option(Profile.user_roles), option(Profile.auth_audit_log)))
    with Session(eng) as session:
        result = session.scalars(query)
        profiles = (result.unique() if loader == "orm_joined" else result).all()
        return {str(p.id): {"profiles": _rows([p]), "user_roles": _rows(p.user_roles),
                            "auth_audit_log": _rows(p.auth_audit_log)} for p in profiles}


def _rows(objects) -> tuple[tuple[str, ...], list[dict]]:
    """Mapped objects -> (columns, rows as column name -> value), the shape `bundles.canonical` reads."""
    objects = list(objects)
    if not objects:
        return (), []
    attrs = [(a.key, a.columns[0].name) for a in inspect(type(objects[0])).column_attrs]
    return tuple(c for _, c in attrs), [{c: getattr(o, k) for k, c in attrs} for o in objects]
