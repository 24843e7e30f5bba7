"""In a real browser: the detector's proposal to hold posts survives five
detector evaluations on the Scheduled posts page, and is then accepted,
holding exactly the proposed posts."""

import time
from datetime import datetime, timezone

import sqlalchemy as sa

from crisis.detector import Detector, crisis_status
from crisis.presets import PRESETS
from monitors.replay import ReplayMonitor
from publishing import proposals
from publishing.posts import NewPost, create
from sentiment.lexicon import VaderEngine
from store.audit import AuditFilter, search
from store.schema import scheduled_posts as sp
from tests.actors import ANA
from tests.browser import ARTIFACTS, browser_page, require_chromium, streamlit_server
from worker.runner import Runner
from worker.service import open_store, restart_drill


def test_the_proposal_survives_five_detector_evaluations_then_is_accepted(drill_config, tmp_path):
    require_chromium()
    path, settings = drill_config()
    db = open_store(settings)
    restart_drill(db, settings, at_s=20 * 60)
    detector = Detector(db, PRESETS["medium"], sensitive_terms=settings.publishing.sensitive_terms)
    Runner(db, [ReplayMonitor(settings.scenario_path)], VaderEngine(), detector=detector).run_pending()
    now = time.time()
    later = datetime.fromtimestamp(now + 30 * 3600, tz=timezone.utc)
    outside = create(db, NewPost("x", "Spring collection teaser", later, "social@tidewell"), ANA, now)
    # The detector judges the drill's last sixteen minutes, one evaluation a minute, up to CRISIS.
    minute = 16
    while crisis_status(db)["level"] != "crisis":
        assert minute > 5, "the drill never reached CRISIS"
        detector.evaluate(now - 60 * minute)
        minute -= 1
    proposal = proposals.open_proposal(db)
    assert proposal.origin == "detector" and len(proposal.posts) == 4 and outside not in proposal.post_ids
    title = "Proposal #1: hold 4 post(s). It waits for a decision."

    with streamlit_server(path, tmp_path / "streamlit.log") as url, browser_page() as page:
        page.goto(url + "/posts")
        page.get_by_text(title).wait_for(timeout=60_000)
        assert page.get_by_text("Proposed by the detector at ").count() == 1
        for k in range(5):  # five more evaluations; the page is read again after each
            detector.evaluate(now - 60 * (4 - k))
            assert crisis_status(db)["level"] == "crisis"
            page.reload()
            page.get_by_text(title).wait_for(timeout=60_000)
        assert proposals.open_proposal(db) == proposal  # never replaced, never grown
        page.get_by_role("button", name="Hold these 4 posts").wait_for(timeout=30_000)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "hold-proposal.png"), full_page=True)
        page.get_by_role("button", name="Hold these 4 posts").click()
        page.get_by_text("Proposal #1 accepted: its posts are held.").wait_for(timeout=60_000)
        assert page.get_by_text(title).count() == 0

    with db.connect() as conn:
        held = set(conn.execute(sa.select(sp.c.id).where(sp.c.status == "held")).scalars())
        assert conn.execute(sa.select(sp.c.status).where(sp.c.id == outside)).scalar_one() == "scheduled"
    assert held == set(proposal.post_ids)
    decided = proposals.get(db, proposal.id)
    assert (decided.status, decided.decided_by) == ("accepted", "local user")
    log = search(db, AuditFilter(0, time.time() + 1, kinds=["publishing"]), 50)[1]
    assert list(log["action"]).count("publishing.hold_accepted") == 1
    assert list(log["action"]).count("publishing.hold_proposed") == 1
