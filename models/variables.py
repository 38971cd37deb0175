"""Variables: small named JSON values that flows read and write."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Created, Id, Name, Updated


class Variable(Base):
    """A named JSON value."""

    __tablename__ = "variable"

    id: Mapped[Id]
    created: Mapped[Created]
    updated: Mapped[Updated]
    name: Mapped[Name] = mapped_column(unique=True)
    value: Mapped[Any | None]
    tags: Mapped[list[str]] = mapped_column(default=list)
