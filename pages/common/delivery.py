"""Whether alerts get through, as warnings where the crisis team looks
(Crisis level and Sources pages): no route at all, a route missing its
setting or secret, and the latest failed sends."""

from __future__ import annotations

import streamlit as st

from delivery.problems import DeliveryProblems, delivery_problems
from pages.common.context import AppContext
from pages.common.text import one_line

ICON = ":material/notifications_off:"


def show_delivery_problems(ctx: AppContext, limit: int = 5) -> DeliveryProblems:
    problems = delivery_problems(ctx.settings, ctx.db, limit)
    if problems.nowhere:
        st.warning(
            "Alerts are not sent anywhere: no Slack channel is set in [notify] and [delivery.routes] is empty. "
            "Level changes show on these pages only; nobody is told.",
            icon=ICON,
        )
    if problems.not_configured:
        st.warning("Alerts cannot be sent on these routes until the setting named is added:", icon=ICON)
        for line in problems.not_configured:
            st.text(one_line(line, 300))
    if problems.failures:
        st.warning("Alerts are not getting through (latest first):", icon=ICON)
        for line in problems.failures:
            st.text(one_line(line, 300))
    return problems
