"""Alembic environment: runs on the connection `storage.db.upgrade` hands over, or on the configured URL."""
from __future__ import annotations

from alembic import context

from storage.db import make_engine
from storage.models import Base


def run_migrations(connection: object) -> None:
    """Run the pending revisions on `connection`."""
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    engine = make_engine(context.config.get_main_option("sqlalchemy.url"))
    try:
        with engine.begin() as own_connection:
            run_migrations(own_connection)
    finally:
        engine.dispose()
