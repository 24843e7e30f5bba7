"""Streamlit helpers shared by the pages (the only place besides app.py and
the page files that imports streamlit)."""
