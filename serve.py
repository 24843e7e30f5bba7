"""The server entry point: `streamlit run serve.py` (app.py is the script it serves).

Streamlit's server has no option for extra response headers, so this ASGI
wrapper (st.App) adds them: no other site may frame the dashboard
(Content-Security-Policy frame-ancestors 'none', and X-Frame-Options DENY for
older browsers), the browser sniffs no content types, and no referrer leaves.
`streamlit run app.py` still works, without these headers; every page also
hides itself when it finds itself framed (pages/common/frame.py)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware

SECURITY_HEADERS = {
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response


app = st.App(str(Path(__file__).resolve().parent / "app.py"), middleware=[Middleware(SecurityHeaders)])
