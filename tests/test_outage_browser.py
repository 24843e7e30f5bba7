"""An open wall in a real browser says when the store is gone and comes back
by itself, without anyone reloading it."""

import pytest
import sqlalchemy as sa

from tests.browser import browser_page, require_chromium, streamlit_server
from tests.conftest import TEST_DATABASE_URL, _fresh_postgres
from tests.tcp_proxy import TcpProxy

UNREACHABLE = "The database is unreachable since"


def mark_no_reload(page) -> None:
    page.evaluate("window.__no_reload = true")


def assert_not_reloaded(page) -> None:
    assert page.evaluate("window.__no_reload === true"), "the page was reloaded"


def test_a_wall_opened_while_the_store_cannot_open_comes_back_by_itself(drill_config, tmp_path):
    require_chromium()
    path, settings = drill_config("[wall]\nrefresh_s = 2\n")
    blocker = settings.data_dir / "drill.sqlite3"
    blocker.mkdir(parents=True)
    with streamlit_server(path, tmp_path / "streamlit.log") as url, browser_page() as page:
        page.goto(url + "/wall?view=wall")
        page.get_by_text(UNREACHABLE).wait_for(timeout=60_000)
        assert str(blocker) in page.get_by_text(UNREACHABLE).inner_text()
        mark_no_reload(page)
        blocker.rmdir()
        page.get_by_text("DRILL - scenario data").wait_for(timeout=30_000)
        page.get_by_text("Waiting for the first poll").wait_for(timeout=30_000)
        assert page.get_by_text(UNREACHABLE).count() == 0
        assert_not_reloaded(page)


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="PostgreSQL store tests need TEST_DATABASE_URL")
def test_an_open_wall_says_when_postgresql_goes_down_and_recovers_by_itself(drill_config, tmp_path):
    require_chromium()
    _fresh_postgres(TEST_DATABASE_URL).dispose()
    target = sa.make_url(TEST_DATABASE_URL)
    proxy = TcpProxy(target.port or 5432)
    proxy.up()
    url_via_proxy = target.set(port=proxy.port).render_as_string(False)
    path, _ = drill_config(f'[wall]\nrefresh_s = 2\n[store]\ndrill_url = "{url_via_proxy}"\n')
    try:
        with streamlit_server(path, tmp_path / "streamlit.log") as url, browser_page() as page:
            page.goto(url + "/wall?view=wall")
            page.get_by_text("Waiting for the first poll").wait_for(timeout=60_000)
            mark_no_reload(page)
            proxy.down()
            page.get_by_text(UNREACHABLE).wait_for(timeout=30_000)
            assert f"PostgreSQL at 127.0.0.1:{proxy.port}" in page.get_by_text(UNREACHABLE).inner_text()
            proxy.up()
            page.get_by_text(UNREACHABLE).wait_for(state="detached", timeout=30_000)
            page.get_by_text("Waiting for the first poll").wait_for(timeout=30_000)
            assert_not_reloaded(page)
    finally:
        proxy.down()
