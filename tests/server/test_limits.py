import asyncio
import json
import socket
import threading
import time

import pytest
from fastapi.testclient import TestClient

import jointel
from jointel.server import ServerLimits, create_app
from jointel.server.limits import BodyLimit, overlap_depth


def run_body_limit(chunks: list[bytes], max_bytes: int, headers: list[tuple[bytes, bytes]] = ()) -> dict:
    """Send `chunks` as one request body through BodyLimit; what the app and the client saw, and what was read."""
    seen: dict = {"app": [], "read": 0, "sent": []}
    pending = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1} for i, chunk in enumerate(chunks)
    ]

    async def receive() -> dict:
        seen["read"] += 1
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        seen["sent"].append(message)

    async def app(scope, receive, send) -> None:
        seen["app"].append(await receive())

    scope = {"type": "http", "method": "POST", "path": "/", "headers": list(headers)}
    asyncio.run(BodyLimit(app, max_bytes)(scope, receive, send))
    return seen


def test_issue_20_chunked_body_is_refused_as_soon_as_it_passes_the_limit():
    seen = run_body_limit([b"x" * 1000] * 200, max_bytes=5000)  # 200 kB, no Content-Length
    assert seen["read"] == 6  # 6000 bytes: the first chunk past the limit; the other 194 are never read
    assert seen["app"] == []
    start, body = seen["sent"]
    assert start["status"] == 413 and (b"connection", b"close") in start["headers"]
    assert json.loads(body["body"]) == {"detail": "request body is larger than the 5000 bytes this server reads"}


def test_body_over_its_declared_length_limit_is_refused_before_any_is_read():
    seen = run_body_limit([b"x" * 10], max_bytes=5, headers=[(b"content-length", b"10")])
    assert seen["read"] == 0 and seen["app"] == []
    assert (
        json.loads(seen["sent"][1]["body"])["detail"]
        == "request body of 10 bytes is larger than the 5 bytes this server reads"
    )


def test_body_within_the_limit_reaches_the_app_whole():
    seen = run_body_limit([b"ab", b"cd", b"e"], max_bytes=5)
    assert seen["app"] == [{"type": "http.request", "body": b"abcde", "more_body": False}]
    assert seen["read"] == 3


@pytest.mark.parametrize(
    ("spans", "depth"),
    [
        ([], 0),
        ([(0, 5)], 1),
        ([(0, 5), (5, 10)], 1),  # touching, not overlapping
        ([(0, 5), (0, 5), (0, 5)], 3),
        ([(0, 10), (2, 4), (3, 8), (9, 12)], 3),  # 0-10, 2-4 and 3-8 share character 3
        ([(5, 5), (6, 2)], 0),  # empty and reversed spans cover nothing
    ],
)
def test_overlap_depth_counts_spans_sharing_a_character(spans, depth):
    assert overlap_depth(spans) == depth


class Gate:
    """An annotator that holds each text "wait" until the test opens the gate: requests stay running on demand."""

    def __init__(self):
        self.open, self.entered = threading.Event(), threading.Semaphore(0)

    def annotate(self, text: str, **options) -> list:
        if text == "wait":
            self.entered.release()
            assert self.open.wait(timeout=30)
        return []

    def close(self) -> None:
        self.open.set()


def test_issue_20_requests_past_the_queue_get_503_with_retry_after_at_once():
    gate = Gate()
    limits = ServerLimits(max_chars=1000, max_spans=10, max_concurrent=1, max_queued=1)
    with TestClient(create_app(lambda: gate, limits)) as client:
        answers: list[int] = []

        def ask() -> None:
            answers.append(client.post("/", json={"text": "wait"}).status_code)

        first = threading.Thread(target=ask)
        first.start()
        assert gate.entered.acquire(timeout=30)  # the first request is running
        second = threading.Thread(target=ask)
        second.start()  # and waits for its turn
        deadline = time.monotonic() + 30
        while client.app.state.work_slots.admitted < 2:
            assert time.monotonic() < deadline and second.is_alive()
            time.sleep(0.01)
        start = time.monotonic()
        third = client.post("/annotate", json={"text": "c"})
        assert time.monotonic() - start < 5  # refused at once, not after waiting
        assert third.status_code == 503 and third.headers["retry-after"] == "1"
        assert third.json()["detail"] == "the server is busy (2 requests running or waiting); retry in a moment"
        assert client.get("/health").status_code == 200  # health is not work: it answers while the model is busy
        gate.open.set()
        first.join(timeout=30)
        second.join(timeout=30)
        assert answers == [200, 200]
        assert client.post("/", json={"text": "d"}).status_code == 200


class Threads:
    """An annotator that notes the thread each call runs on."""

    def __init__(self):
        self.names: list[str] = []

    def annotate(self, text: str, **options) -> list:
        self.names.append(threading.current_thread().name)
        return []

    def close(self) -> None:
        pass


@pytest.mark.parametrize("max_concurrent", [1, 2])
def test_the_model_runs_on_max_concurrent_threads_of_its_own(max_concurrent):
    """Not on FastAPI's pool of 40 threads: each thread that allocates keeps a malloc arena (memory) of its own."""
    threads = Threads()
    limits = ServerLimits(max_chars=1000, max_spans=10, max_concurrent=max_concurrent)
    with TestClient(create_app(lambda: threads, limits)) as client:
        for _ in range(20):
            assert client.post("/annotate", json={"text": "x"}).status_code == 200
    assert len(threads.names) == 21  # the start-up example, then each request
    assert all(name.startswith("jointel-model") for name in threads.names)
    assert len(set(threads.names)) <= max_concurrent


@pytest.fixture
def server_port(tiny_model_dir):
    """A real uvicorn server (h11, as `jointel serve` runs it) on a free loopback port, in a thread."""
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(lambda: jointel.load(tiny_model_dir), ServerLimits(max_chars=1000, max_spans=10))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    yield port
    server.should_exit = True
    thread.join(timeout=10)


def test_issue_20_chunked_upload_gets_413_while_it_is_still_being_sent(server_port):
    """A client streaming 200 MB without Content-Length is answered 413 after the server read about the limit,
    and its connection is closed: the rest of the upload fails instead of filling the server's memory."""
    chunk = b"x" * 65536
    sent = 0
    with socket.create_connection(("127.0.0.1", server_port), timeout=30) as client:
        client.sendall(
            b"POST /annotate HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        try:
            while sent < 200_000_000:
                client.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += client.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert sent < 50_000_000  # loopback buffers hold a few MB; the server never asked for the rest
