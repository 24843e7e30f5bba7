"""The worker: the runner that polls every source, scores, stores and judges,
and the wiring from config.toml to it. Runs in-app as a thread of the
Streamlit server or as its own process (`python -m worker`)."""
