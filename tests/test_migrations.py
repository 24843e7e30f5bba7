"""Migrations upgrade an existing database without losing data (SQLite and PostgreSQL)."""

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from store.connection import connect
from store.migrate import alembic_config, current_revision, upgrade
from tests.conftest import TEST_DATABASE_URL, _fresh_postgres


@pytest.fixture(params=["sqlite", "postgresql"])
def blank(request, tmp_path):
    if request.param == "sqlite":
        engine = connect(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    elif not TEST_DATABASE_URL:
        pytest.skip("PostgreSQL store tests need TEST_DATABASE_URL")
    else:
        engine = _fresh_postgres(TEST_DATABASE_URL)
    yield engine
    engine.dispose()


def test_upgrade_from_the_first_revision_keeps_every_row(blank):
    upgrade(blank, "0001")
    assert current_revision(blank) == "0001"
    with blank.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO messages (source, external_id, channel, author, reach, lang, url, text, created_at, "
                "ingested_at, label, score, engine, engine_version) VALUES "
                "('x', '1', 'search', '@a', 10, 'en', '', 'first', 1800000000, 1800000001, 'negative', -0.5, 'vader', '3.3.2'),"
                "('slack', 'C1:1.0', '#general', 'staff-1', 0, '', '', 'second', 1800000060, 1800000061, NULL, NULL, NULL, NULL)"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO rollups_minute (minute, source, label, count, score_sum, reach_sum) VALUES "
                "(1800000000 - 1800000000 % 60, 'x', 'negative', 1, -0.5, 10)"
            )
        )
        conn.execute(
            sa.text("INSERT INTO source_state (name, cursor, status) VALUES ('x', '{\"since_id\": \"1\"}', 'ok')")
        )

    def snapshot(conn):
        return (
            conn.execute(
                sa.text("SELECT source, external_id, text, label, created_at FROM messages ORDER BY id")
            ).all(),
            conn.execute(sa.text("SELECT minute, source, label, count FROM rollups_minute")).all(),
            conn.execute(sa.text("SELECT name, cursor, status FROM source_state")).all(),
        )

    with blank.connect() as conn:
        before = snapshot(conn)
    upgrade(blank)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert current_revision(blank) == head
    with blank.connect() as conn:
        assert snapshot(conn) == before
        # New columns have their defaults on old rows.
        assert conn.execute(sa.text("SELECT today_messages, today_reads FROM source_state")).one() == (0, 0)
        assert conn.execute(sa.text("SELECT label_override FROM messages WHERE external_id = '1'")).scalar() is None
    upgrade(blank)  # a second upgrade is a no-op
    assert current_revision(blank) == head


def test_every_revision_can_be_downgraded_and_upgraded_again(blank):
    upgrade(blank)
    from alembic import command

    cfg = alembic_config()
    with blank.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert current_revision(blank) is None
    upgrade(blank)
    assert current_revision(blank) == ScriptDirectory.from_config(cfg).get_current_head()


def _sqlite_default_differs(context, inspected_column, metadata_column, inspected, metadata_default, rendered):
    """SQLite reports a server default as written in its DDL ('' comes back as "('')"), which
    Alembic misreads for the empty string: compare the literal's text, without its parentheses
    and quotes (SQLite's type affinity makes '0' and 0 the same stored value). Elsewhere: Alembic's own."""
    if context.dialect.name != "sqlite":
        return None

    def literal(text):
        return None if text is None else text.strip().strip("()").strip().strip("'\"")

    return literal(inspected) != literal(rendered)


def _sqlite_type_differs(context, inspected_column, metadata_column, inspected_type, metadata_type):
    """SQLite keeps no VARCHAR length (migration 0015 widens labels on PostgreSQL only):
    on SQLite two strings of one kind are the same type. Elsewhere, and for any other
    difference: Alembic's own comparison."""
    if context.dialect.name == "sqlite" and inspected_type._type_affinity is metadata_type._type_affinity is sa.String:
        return False
    return None


def test_the_migrated_database_is_exactly_what_store_schema_declares(blank):
    """Alembic's autogenerate, run against a database migrated from empty to head,
    finds nothing to do: store/schema.py (what the code queries) and the migrations
    (what a deployment really has) declare the same tables, columns, types,
    nullability, defaults, indexes and constraints."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from store.schema import metadata

    upgrade(blank)
    with blank.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": _sqlite_type_differs, "compare_server_default": _sqlite_default_differs}
        )
        differences = compare_metadata(context, metadata)
    assert differences == [], "store/schema.py and the migrations differ:\n" + "\n".join(map(repr, differences))


def test_the_comparison_sees_a_column_the_migrations_do_not_make(blank):
    """The check above is not blind: a column only store/schema.py has is reported."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from store.schema import metadata

    upgrade(blank)
    extended = sa.MetaData()
    for table in metadata.sorted_tables:
        table.to_metadata(extended)
    extended.tables["messages"].append_column(sa.Column("nickname", sa.String(40), nullable=True))
    with blank.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": _sqlite_type_differs, "compare_server_default": _sqlite_default_differs}
        )
        differences = compare_metadata(context, extended)
    assert [(d[0], d[2], d[3].name) for d in differences] == [("add_column", "messages", "nickname")]
