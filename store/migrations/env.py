"""Alembic environment: runs on the connection store.migrate hands it, or on
the configured database when called from the alembic command line."""

from alembic import context

from store.schema import metadata

target_metadata = metadata


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        from settings import load_settings
        from store.connection import connect, database_url

        with connect(database_url(load_settings())).begin() as connection:
            _migrate(connection)
    else:
        _migrate(connection)


def _migrate(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run()
