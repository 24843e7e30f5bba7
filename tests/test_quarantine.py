"""Any message: invalid code points become U+FFFD on the way in; an item a
source could not turn into a message, or one the store refuses, is
quarantined (stored raw with its reason, shown on the Sources page as plain
text) and the source goes on."""

import json
import time

import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from model.message import Message, Quarantined
from monitors.base import PollResult
from sentiment.lexicon import VaderEngine
from settings import load_settings
from store import quarantine
from store.quarantine import RAW_MAX_CHARS
from store.schema import messages, source_state
from tests.conftest import ROOT, message, write_config
from worker.runner import Runner
from worker.service import open_store


class OnePage:
    def __init__(self, result: PollResult, name="x", interval_s=10.0):
        self.result, self.name, self.interval_s = result, name, interval_s

    def poll(self, cursor):
        return self.result


def rows(db, table, *columns):
    with db.connect() as conn:
        return conn.execute(sa.select(*columns).select_from(table)).all()


def test_lone_surrogates_are_stored_as_replacement_characters(db, clock):
    bad = message(
        "1\ud83d",
        "broken emoji \ud83d and \udc00 here\x00",
        channel="#gen\udfff",
        author="@a\ud800",
        url="https://e/\ufffe",
    )
    assert bad.text == "broken emoji \ufffd and \ufffd here\ufffd"
    monitor = OnePage(PollResult([bad, message("2", "fine")], "next"))
    outcome = Runner(db, [monitor], VaderEngine(), clock=clock).poll(monitor)
    assert (outcome.status, outcome.stored) == ("ok", 2)
    stored = dict(
        (r.external_id, r) for r in rows(db, messages, messages.c.external_id, messages.c.text, messages.c.author)
    )
    assert stored["1\ufffd"].text == "broken emoji \ufffd and \ufffd here\ufffd"
    assert stored["1\ufffd"].author == "@a\ufffd"
    assert rows(db, source_state, source_state.c.cursor) == [("next",)]  # the source advanced


def test_every_text_field_of_a_message_is_cleaned():
    m = Message("x\ud800", "id", message("a").created_at, "t", lang="e\udc00n")
    assert (m.source, m.lang) == ("x\ufffd", "e\ufffdn")


def test_a_message_the_store_refuses_is_quarantined_and_the_rest_of_the_batch_stored(db, clock):
    # A reach beyond any integer column: SQLite and PostgreSQL both refuse it.
    batch = [message("1", "first"), message("2", "absurd reach", reach=10**20), message("3", "third")]
    monitor = OnePage(PollResult(batch, "after-3"))
    outcome = Runner(db, [monitor], VaderEngine(), clock=clock).poll(monitor)
    assert (outcome.status, outcome.stored) == ("ok", 2)
    assert sorted(r.external_id for r in rows(db, messages, messages.c.external_id)) == ["1", "3"]
    assert rows(db, source_state, source_state.c.cursor, source_state.c.status) == [("after-3", "ok")]
    (held,) = quarantine.latest(db).itertuples()
    assert (held.source, held.external_id) == ("x", "2")
    assert held.reason.startswith("the store refused it: ")
    assert json.loads(held.raw)["reach"] == 10**20 and json.loads(held.raw)["text"] == "absurd reach"
    # The rollups agree with the stored messages (the refused one is in neither).
    with db.connect() as conn:
        assert conn.execute(sa.text("SELECT SUM(count) FROM rollups_minute")).scalar() == 2


def test_quarantined_items_are_stored_with_the_batch_capped_and_once(db, clock):
    huge = "<entry>" + "x" * (RAW_MAX_CHARS * 2) + "</entry>"
    items = [
        Quarantined("x", "7", '{"id": "7", "text": "no author"}', "tweet without author_id"),
        Quarantined("x", "", huge, "entry with neither id nor link\ud800"),
    ]
    monitor = OnePage(PollResult([message("1", "fine")], "c1", quarantined=items))
    runner = Runner(db, [monitor], VaderEngine(), clock=clock)
    assert runner.poll(monitor).status == "ok"
    clock.advance(60)
    assert runner.poll(monitor).status == "ok"  # the same page again: nothing added twice
    counts = quarantine.counts(db)
    assert counts[["source", "items"]].values.tolist() == [["x", 2]]
    latest = {r.external_id: r for r in quarantine.latest(db).itertuples()}
    assert len(latest[""].raw) == RAW_MAX_CHARS and latest[""].raw_chars == len(huge)
    assert latest[""].reason == "entry with neither id nor link\ufffd"
    assert latest["7"].reason == "tweet without author_id"


def test_quarantine_is_rolled_back_with_a_batch_that_fails(db, clock):
    class LeaseGone(OnePage):
        def poll(self, cursor):
            clock.advance(120)  # the lease ran out while polling: the batch must not commit
            return self.result

    monitor = LeaseGone(PollResult([message("1")], "c", quarantined=[Quarantined("x", "9", "{}", "bad")]))
    assert Runner(db, [monitor], VaderEngine(), clock=clock, lease_s=60).poll(monitor).status == "skipped"
    assert quarantine.counts(db).empty


HOSTILE_RAW = '{"text": "**bold** ![x](http://attacker.example/t.png) <b>hi</b> :red[alarm]"}'


def test_sources_page_shows_quarantined_items_as_plain_text(tmp_path, monkeypatch, clock):
    path = write_config(
        tmp_path,
        f'[app]\nmode = "live"\ndata_dir = "{tmp_path / "data"}"\n[runner]\nin_app = false\n'
        '[sentiment]\nengine = "vader"\n[access]\nlocal_role = "viewer"\n',
    )
    db = open_store(load_settings(path))
    x = OnePage(
        PollResult(
            [],
            "c",
            quarantined=[Quarantined("x", "42", HOSTILE_RAW, "tweet without author_id")],
            note="since_id 100 was older than 7 days: searched again from 2027-01-08T08:01:00Z",
        )
    )
    slack = OnePage(
        PollResult([], "c", quarantined=[Quarantined("slack", "C1:1.0", '{"text": "staff secret"}', "bad ts")]),
        name="slack",
    )

    class Silent:
        name, interval_s = "feed:silent", 60.0

        def poll(self, cursor):
            time.sleep(1)

    runner = Runner(db, [x, slack, Silent()], VaderEngine(), clock=clock, poll_deadline_s=0.2)
    assert [o.status for o in runner.run_pending()] == ["ok", "ok", "no_answer"]
    monkeypatch.setenv("CRISISDESK_CONFIG", str(path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("pages/sources.py").run()
    assert not at.exception, at.exception
    health = at.dataframe[0].value.set_index("source")
    assert health.loc["feed:silent", "state"] == "failing (no answer)"
    assert health.loc["feed:silent", "last error"] == "no answer within 0.2 s"
    assert health.loc["x", "notice"].startswith("since_id 100 was older than 7 days: searched again from")
    assert health.loc["slack", "notice"] == ""
    counts = next(df.value for df in at.dataframe if "items" in df.value.columns)
    assert dict(zip(counts["source"], counts["items"])) == {"slack": 1, "x": 1}
    assert [c.value for c in at.code] == [HOSTILE_RAW]  # raw as received, in a code block (plain text)
    texts = [t.value for t in at.text]
    assert any("tweet without author_id" in t for t in texts) and any("· x · 42" in t for t in texts)
    # A viewer never sees internal (staff) raw text; and no raw text goes through Markdown.
    assert not any("staff secret" in str(e.value) for e in [*at.code, *at.text, *at.markdown, *at.caption])
    assert any("Internal (staff) text" in c.value for c in at.caption)
    assert not any("attacker.example" in m.value for m in [*at.markdown, *at.caption])


def test_retention_drops_old_quarantined_items(db, clock):
    from store.retention import drop_old_text

    monitor = OnePage(PollResult([], "c", quarantined=[Quarantined("x", "1", '{"text": "old"}', "bad")]))
    Runner(db, [monitor], VaderEngine(), clock=clock).poll(monitor)
    drop_old_text(db, 5, clock.now + 4 * 86400)
    assert len(quarantine.counts(db)) == 1  # younger than the retention age: kept
    drop_old_text(db, 5, clock.now + 6 * 86400)
    assert quarantine.counts(db).empty


def test_restarting_a_drill_empties_its_quarantine(drill_config):
    from store.connection import write
    from worker.service import restart_drill

    _, settings = drill_config()
    db = open_store(settings)
    with write(db) as conn:
        quarantine.add(conn, [Quarantined("drill", "1", "{}", "bad line")], 1_800_000_000)
    assert len(quarantine.counts(db)) == 1
    restart_drill(db, settings)
    assert quarantine.counts(db).empty
