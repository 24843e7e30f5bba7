"""The store: schema, connection, migrations, ingest and the queries pages use.

Everything is SQLAlchemy Core, so the same code runs on the embedded SQLite
default and on PostgreSQL for a team deployment. Times are UTC epoch seconds
(integers for messages and minute buckets): both databases index and bucket
them fast, and nothing depends on a database's time zone.
"""
