"""A wall-clock deadline over a whole HTTP exchange made with requests.

requests' timeouts are per connect and per read: a server that sends a byte
of its status line or headers every half second never trips them, and holds
the caller for as long as it likes (the body can be read in a loop that
checks the clock; the headers cannot, requests reads them all before it
returns). A `DeadlineAdapter` mounted on a session remembers the sockets its
connections use on the calling thread; `deadline(seconds)` cuts them off
(shuts them down) when the time is up, so the blocked read ends at once
with an error, and says that it did (`fired`).
"""

from __future__ import annotations

import contextlib
import socket
import threading

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_in_use = threading.local()  # .cutoff: the deadline of the current thread's exchange, if any


class _Watched(HTTPConnection):
    """A connection that hands its socket to the current thread's deadline before it waits for the
    response. Its TLS twin puts HTTPSConnection between this class and HTTPConnection in the MRO."""

    def getresponse(self, *args, **kwargs):
        cutoff = getattr(_in_use, "cutoff", None)
        if cutoff is not None and self.sock is not None:
            cutoff.watch(self.sock)
        return super().getresponse(*args, **kwargs)


class _Connection(_Watched, HTTPConnection):
    pass


class _TLSConnection(_Watched, HTTPSConnection):
    pass


class _Pool(HTTPConnectionPool):
    ConnectionCls = _Connection


class _TLSPool(HTTPSConnectionPool):
    ConnectionCls = _TLSConnection


class DeadlineAdapter(HTTPAdapter):
    """requests' HTTPAdapter whose connections can be cut off by `deadline()`."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _Pool, "https": _TLSPool}


def mount(session):
    """`session` with a DeadlineAdapter for http:// and https://."""
    adapter = DeadlineAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class _Cutoff:
    def __init__(self) -> None:
        self.fired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.fired:  # the time was up before this read began
                _cut(sock)

    def fire(self) -> None:
        with self._lock:
            self.fired = True
            for sock in self._sockets:
                _cut(sock)


def _cut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        # The plain socket's shutdown, also under TLS: the reading thread sees end-of-file at once.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


@contextlib.contextmanager
def deadline(seconds: float):
    """Within the block, the sockets this thread's DeadlineAdapter exchanges
    read from are shut down `seconds` from now; yields an object whose `fired`
    says whether that happened."""
    cutoff = _Cutoff()
    _in_use.cutoff = cutoff
    timer = threading.Timer(max(0.0, seconds), cutoff.fire)
    timer.daemon = True
    timer.start()
    try:
        yield cutoff
    finally:
        timer.cancel()
        _in_use.cutoff = None
