"""SQL storage of consents and encrypted face templates (SQLite by default, PostgreSQL by URL)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Column, DateTime, Integer, LargeBinary, MetaData, String, Table, create_engine, delete, func, select
from sqlalchemy.engine import Engine

metadata = MetaData()

templates = Table(
    "vision_face_templates", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),  # = ANN index id
    Column("customer_id", String(64), nullable=False, index=True),
    Column("face_id", String(64), nullable=False, index=True),
    Column("engine", String(64), nullable=False, index=True),
    Column("dim", Integer, nullable=False),
    Column("source", String(16), nullable=False),  # live / id_photo / import
    Column("template", LargeBinary, nullable=False),  # Fernet token of float32 LE bytes
    Column("created_at", DateTime, nullable=False),
    sqlite_autoincrement=True,  # never reuse ids of deleted templates
)

consents = Table(
    "vision_face_consents", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", String(64), nullable=False, index=True),
    Column("purpose", String(64), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("text_version", String(32), nullable=False),
    Column("given_at", DateTime, nullable=False),
)


@dataclass(frozen=True)
class TemplateRow:
    id: int
    customer_id: str
    face_id: str
    engine: str
    dim: int
    source: str
    template: bytes


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class FaceStore:
    def __init__(self, url: str) -> None:
        self.engine: Engine = create_engine(url, future=True)
        metadata.create_all(self.engine)

    def record_consent(self, customer_id: str, purpose: str = "face_recognition", channel: str = "kiosk",
                       text_version: str = "v1") -> None:
        with self.engine.begin() as conn:
            conn.execute(consents.insert().values(customer_id=customer_id, purpose=purpose, channel=channel,
                                                  text_version=text_version, given_at=_now()))

    def has_consent(self, customer_id: str, purpose: str = "face_recognition") -> bool:
        with self.engine.connect() as conn:
            row = conn.execute(select(consents.c.id).where(consents.c.customer_id == customer_id,
                                                           consents.c.purpose == purpose).limit(1)).first()
        return row is not None

    def add_template(self, customer_id: str, face_id: str, engine: str, dim: int, source: str,
                     token: bytes) -> int:
        with self.engine.begin() as conn:
            res = conn.execute(templates.insert().values(customer_id=customer_id, face_id=face_id, engine=engine,
                                                         dim=dim, source=source, template=token,
                                                         created_at=_now()))
            key = res.inserted_primary_key
            if key is None:  # SQLAlchemy types it optional; an autoincrement insert always has one
                raise RuntimeError("template insert returned no primary key")
            return int(key[0])

    def templates(self, engine: str, after_id: int = 0) -> list[TemplateRow]:
        q = (select(templates.c.id, templates.c.customer_id, templates.c.face_id, templates.c.engine,
                    templates.c.dim, templates.c.source, templates.c.template)
             .where(templates.c.engine == engine, templates.c.id > after_id).order_by(templates.c.id))
        with self.engine.connect() as conn:
            return [TemplateRow(*row) for row in conn.execute(q)]

    def template_ids(self, customer_id: str) -> list[int]:
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(select(templates.c.id).where(templates.c.customer_id == customer_id))]

    def signature(self, engine: str) -> tuple[int, int]:
        """(count, max id): changes whenever another process adds or deletes templates."""
        with self.engine.connect() as conn:
            n, top = conn.execute(select(func.count(templates.c.id), func.max(templates.c.id))
                                  .where(templates.c.engine == engine)).one()
        return int(n or 0), int(top or 0)

    def describe_customer(self, customer_id: str) -> dict:
        """What is kept about the customer's face, for their data export: consents and template
        metadata (never the templates: a biometric template is not handed out, even to its owner)."""
        with self.engine.connect() as conn:
            given = conn.execute(select(consents.c.purpose, consents.c.channel, consents.c.text_version,
                                        consents.c.given_at).where(consents.c.customer_id == customer_id)
                                 .order_by(consents.c.id)).all()
            kept = conn.execute(select(templates.c.engine, templates.c.source, templates.c.created_at)
                                .where(templates.c.customer_id == customer_id).order_by(templates.c.id)).all()
        return {"consents": [{"purpose": p, "channel": c, "text_version": v, "given_at": t.isoformat()}
                             for p, c, v, t in given],
                "templates": [{"engine": e, "source": src, "created_at": t.isoformat()} for e, src, t in kept]}

    def delete_customer(self, customer_id: str) -> tuple[int, int]:
        """Remove every template and consent row of the customer: (templates, consents) deleted."""
        with self.engine.begin() as conn:
            t = conn.execute(delete(templates).where(templates.c.customer_id == customer_id)).rowcount
            c = conn.execute(delete(consents).where(consents.c.customer_id == customer_id)).rowcount
        return int(t or 0), int(c or 0)

    def close(self) -> None:
        self.engine.dispose()
