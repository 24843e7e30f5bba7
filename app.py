"""Crisis Desk: `streamlit run app.py`.

Loads config.toml, opens the store (migrating it), starts the runner once
per server when configured in-app, and routes to the pages.
"""

import streamlit as st

from pages.common.banners import show_banners
from pages.common.context import load_context, routed_by_app

st.set_page_config(page_title="Crisis Desk", page_icon=":material/crisis_alert:", layout="wide")
ctx = load_context()

page = st.navigation(
    [
        st.Page("pages/wall.py", title="Wall display", icon=":material/tv:", url_path="wall", default=True),
    ]
)
show_banners(ctx)
with routed_by_app():
    page.run()
