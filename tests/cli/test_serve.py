import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from typer.testing import CliRunner

from jointel.cli.app import app


def test_serve_missing_model_is_one_line_error_before_starting(tmp_path):
    result = CliRunner().invoke(app, ["serve", "--model", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert f"error: {tmp_path / 'nowhere'}: no such model directory" in result.output


def test_serve_answers_on_loopback(tiny_model_dir):
    """The real command in a subprocess: /health then /annotate, then it is stopped."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    jointel = Path(sys.executable).parent / "jointel"
    command = [str(jointel), "serve", "--port", str(port), "--model", str(tiny_model_dir)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                    assert json.load(response)["status"] == "ok"
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "the server did not start"
                time.sleep(0.2)
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/annotate",
            data=json.dumps({"text": "Paris Hilton visited Paris."}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            mentions = json.load(response)["mentions"]
        assert [m["entity"] for m in mentions] == ["Paris_Hilton", "Paris"]
    finally:
        server.terminate()
        server.wait(timeout=30)
