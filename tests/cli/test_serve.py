import inspect
import json
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jointel.cli.app import app
from jointel.cli.serve import serve_command
from jointel.server import ServerLimits


def test_serve_missing_model_is_one_line_error_before_starting(tmp_path):
    result = CliRunner().invoke(app, ["serve", "--model", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert f"error: {tmp_path / 'nowhere'}: no such model directory" in result.output


def test_issue_20_serve_kb_damaged_past_its_first_pages_is_one_line_error(tiny_model_dir, tmp_path):
    kb = tmp_path / "kb.sqlite"
    shutil.copy(tiny_model_dir / "kb.sqlite", kb)
    with sqlite3.connect(kb) as db:  # the entities' page: KB() opens the file, loading the gazetteer reads it
        page, size = db.execute("SELECT pageno, pgsize FROM dbstat WHERE name = 'entities'").fetchone()
    with kb.open("r+b") as handle:
        handle.seek((page - 1) * size)
        handle.write(b"\xa5" * size)
    result = CliRunner().invoke(app, ["serve", "--model", str(tiny_model_dir), "--kb", str(kb)])
    assert result.exit_code == 1
    assert result.output.replace("\n", "") == (
        f"error: {kb}: cannot be read (database disk image is malformed); rebuild it with `jointel kb build`"
    )


def test_serve_limits_default_to_the_servers():
    """serve_command repeats ServerLimits' defaults for --help; they must not drift apart."""
    parameters = inspect.signature(serve_command).parameters
    assert {name: parameters[name].default for name in asdict(ServerLimits())} == asdict(ServerLimits())


def test_issue_20_serve_workers_compute_with_the_commands_threads(tiny_model_dir, monkeypatch):
    """Spawned workers took torch's default of every core each, and 2 workers ran at 0.92x of 1 on 2 cores; they
    get `jointel --threads` (default 1), as the command's own process does."""
    import torch
    import uvicorn

    from jointel.cli import serve

    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)
    monkeypatch.delenv(serve._SETTINGS, raising=False)
    before = torch.get_num_threads()
    try:
        result = CliRunner().invoke(app, ["--threads", "3", "serve", "--model", str(tiny_model_dir), "--workers", "2"])
        assert result.exit_code == 0, result.output
        settings = json.loads(serve.os.environ.pop(serve._SETTINGS))
        assert settings["threads"] == 3
        monkeypatch.setenv(serve._SETTINGS, json.dumps({**settings, "threads": 1}))
        serve.worker_app()
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(*options: str) -> Iterator[tuple[subprocess.Popen, int]]:
    """`jointel serve OPTIONS` in a subprocess, once /health answers; stopped (SIGTERM) afterwards."""
    port = free_port()
    jointel = Path(sys.executable).parent / "jointel"
    server = subprocess.Popen(
        [str(jointel), "serve", "--port", str(port), *options], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                    assert json.load(response)["status"] == "ok"
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "the server did not start"
                time.sleep(0.2)
        yield server, port
    finally:
        server.terminate()
        server.wait(timeout=30)


def annotate(port: int, text: str) -> list[dict]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/annotate",
        data=json.dumps({"text": text}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["mentions"]


def test_serve_answers_on_loopback(tiny_model_dir):
    """The real command in a subprocess: /health then /annotate, then it is stopped."""
    with serving("--model", str(tiny_model_dir)) as (_, port):
        assert [m["entity"] for m in annotate(port, "Paris Hilton visited Paris.")] == ["Paris_Hilton", "Paris"]


def worker_processes(parent: int) -> list[int]:
    """The processes uvicorn spawned for its workers under `parent` (Linux: read from /proc)."""
    workers = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[1]) == parent and b"spawn_main" in command:
            workers.append(int(stat.parent.name))
    return workers


@pytest.mark.slow  # two processes load torch and the model: about 10 s on 2 cores
def test_issue_20_serve_workers_are_processes_with_a_model_each(tiny_model_dir):
    with serving("--model", str(tiny_model_dir), "--workers", "2", "--max-chars", "5000") as (server, port):
        assert len(worker_processes(server.pid)) == 2
        for _ in range(4):
            assert [m["entity"] for m in annotate(port, "Paris Hilton visited Paris.")] == ["Paris_Hilton", "Paris"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
            assert json.load(response)["max_chars"] == 5000  # the workers got the command's settings
