"""Crisis Desk: `streamlit run app.py`.

Loads config.toml, opens the store (migrating it), starts the runner once
per server when configured in-app, draws the frame every page shares, and
runs the page the navigation chose.
"""

import streamlit as st

from pages.common.frame import frame, kiosk, routed_by_app

frame()
page = st.navigation(
    [
        st.Page("pages/wall.py", title="Wall display", icon=":material/tv:", url_path="wall", default=True),
        st.Page("pages/overview.py", title="Overview", icon=":material/summarize:", url_path="overview"),
        st.Page("pages/mentions.py", title="Mentions", icon=":material/forum:", url_path="mentions"),
        st.Page("pages/pulse.py", title="Internal pulse", icon=":material/favorite:", url_path="pulse"),
        st.Page("pages/faq.py", title="Crisis FAQ", icon=":material/quiz:", url_path="faq"),
        st.Page("pages/crisis.py", title="Crisis level", icon=":material/crisis_alert:", url_path="crisis"),
        st.Page("pages/posts.py", title="Scheduled posts", icon=":material/schedule_send:", url_path="posts"),
        st.Page("pages/team.py", title="Team", icon=":material/groups:", url_path="team"),
        st.Page("pages/sources.py", title="Sources", icon=":material/sensors:", url_path="sources"),
        st.Page("pages/sentiment.py", title="Sentiment", icon=":material/sentiment_satisfied:", url_path="sentiment"),
    ],
    position="hidden" if kiosk() else "top",
)
with routed_by_app():
    page.run()
