"""Curricula: ordered modules of ordered materi (the structure every participant of a cohort shares)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db


class Curriculum(db.Model):
    __tablename__ = "curricula"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    #: When true, module N opens only after module N-1 is complete; otherwise modules are in free order.
    sequential: Mapped[bool] = mapped_column(default=False)
    #: Bumped by every import (``lms.modules.curriculum_file``): a process caches the structure per version
    #: (``lms.modules.cache``), so any edit is seen by the next request.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    modules: Mapped[list[Module]] = relationship(order_by="Module.position", cascade="all, delete-orphan",
                                                 back_populates="curriculum")


class Module(db.Model):
    __tablename__ = "modules"
    __table_args__ = (UniqueConstraint("curriculum_id", "position", name="module_position"),
                      UniqueConstraint("curriculum_id", "code", name="module_code"))

    id: Mapped[int] = mapped_column(primary_key=True)
    curriculum_id: Mapped[int] = mapped_column(ForeignKey("curricula.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column()
    code: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")

    curriculum: Mapped[Curriculum] = relationship(back_populates="modules")
    materi: Mapped[list[Materi]] = relationship(order_by="Materi.position", cascade="all, delete-orphan",
                                                back_populates="module")


class Materi(db.Model):
    __tablename__ = "materi"
    __table_args__ = (UniqueConstraint("module_id", "position", name="materi_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(String(200))
    #: Markdown; rendered with raw HTML disabled.
    body_md: Mapped[str] = mapped_column(Text, default="")
    video_url: Mapped[str | None] = mapped_column(String(500))
    minutes: Mapped[int] = mapped_column(default=10)

    module: Mapped[Module] = relationship(back_populates="materi")

