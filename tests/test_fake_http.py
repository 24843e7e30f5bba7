"""The shared base of the fake APIs: one request per connection (no reused
keep-alive connection can fail a test), canned answers in order, JSON out."""

from __future__ import annotations

import http.client
import json

import requests

from tests.fake_http import FakeHTTP


class Echo(FakeHTTP):
    def answer(self, handler) -> None:
        path, params = self.target(handler)
        self.requests.append({"path": path, "params": params, "form": self.form(handler)})
        code, headers, body = self.scripted() or (200, {}, {"path": path})
        self.send(handler, code, body, headers)


def test_each_request_has_a_connection_of_its_own():
    fake = Echo()
    try:
        host, port = fake.server.server_address
        conn = http.client.HTTPConnection(host, port, timeout=5)
        conn.request("GET", "/one?x=1", headers={"Connection": "keep-alive"})
        answer = conn.getresponse()
        assert json.loads(answer.read()) == {"path": "/one"}
        assert answer.version == 10 and answer.will_close  # the server closes it: no stale pooled connection
        with requests.Session() as session:  # a pooling client reconnects each time and never fails
            for n in range(20):
                assert session.post(f"{fake.base_url}/n", data={"n": n}, timeout=5).json() == {"path": "/n"}
        assert [r["form"] for r in fake.requests[1:]] == [{"n": str(n)} for n in range(20)]
    finally:
        fake.close()


def test_scripted_answers_come_first_in_order_then_the_usual():
    fake = Echo()
    try:
        fake.script += [(429, {"Retry-After": "7"}, {"error": "slow down"}), (200, {}, b"raw bytes")]
        first = requests.get(f"{fake.base_url}/a", timeout=5)
        assert (first.status_code, first.headers["Retry-After"], first.json()) == (429, "7", {"error": "slow down"})
        assert requests.get(f"{fake.base_url}/b", timeout=5).content == b"raw bytes"
        assert requests.get(f"{fake.base_url}/c?q=z", timeout=5).json() == {"path": "/c"}
        assert fake.requests[-1]["params"] == {"q": "z"}
    finally:
        fake.close()
