"""Crisis Desk: `streamlit run serve.py` (this script behind the security headers) or `streamlit run app.py`.

Loads config.toml, opens the store (migrating it), starts the runner once
per server when configured in-app, draws the frame every page shares (who is
looking, and what they may see), and runs the page the navigation chose from
the pages their role may read.
"""

import streamlit as st

from pages.common.frame import frame, kiosk, pages_for, routed_by_app

_, actor = frame()
allowed = pages_for(actor)
page = st.navigation(
    [
        st.Page(spec.path, title=spec.title, icon=spec.icon, url_path=spec.url_path, default=i == 0)
        for i, spec in enumerate(allowed)
    ],
    position="hidden" if kiosk() or len(allowed) == 1 else "top",
)
with routed_by_app():
    page.run()
