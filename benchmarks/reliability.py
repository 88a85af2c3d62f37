"""Reliability (issue 20): fuzzed requests and load on a real `jointel serve`, and kill -9 of the commands that write.

1. Fuzz: `--fuzz` generated requests, one at a time, to `POST /annotate` and the REL-compatible `POST /` of a server
   on a free loopback port: arbitrary Unicode (lone surrogates as JSON escapes and as raw bytes, NUL, right-to-left
   text, combining marks, very long tokens, empty and blank texts), spans inside and outside the text, random JSON
   values in the fields, and broken bodies. No answer may be a 5xx or other than JSON; every 2xx must be strict
   JSON whose mentions quote the text at their offsets (a lone surrogate read as U+FFFD, as the server documents).
2. Load: `--clients` loopback clients for `--seconds` against a fresh server with `--workers 1`, then with
   `--workers 2`; a client waits a 503's Retry-After and sends again. Answers by class, latency, throughput, and the
   peak RSS of the server's processes.
3. Kills: `kb add`, `train`, `annotate`, `kb build` and `annotate-corpus`, each killed (SIGKILL to its process
   group) at a random moment, up to `--kills` times within its share of `--kill-minutes` (the time a command leaves
   unused goes to the next). After a kill every artefact must be the old or the new whole state; the same command
   must then complete and leave nothing stale behind.

The commands run jointel as committed at HEAD, exported with `git archive` into the work directory, so that edits
made meanwhile in the working tree are not measured; they use the bundled model and its own KB, so runs compare.
Writes the `reliability` section of BENCHMARKS.md.

    .venv/bin/python benchmarks/reliability.py [--fuzz 10000] [--clients 50] [--seconds 60] [--kills 20]
        [--kill-minutes 25] [--parts fuzz,load,kills] [--targets kb-add,...] [--seed 20] [--work DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import pickle
import random
import re
import shutil
import signal
import socket
import sqlite3
import string
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import torch
from common import header, load_average, megabytes, percentile, publish, raw_text, split_documents, verdict

import jointel
from jointel.cli import REPO_ROOT, default_cache_dir, resolve_data_dir
from jointel.data import LABELS
from jointel.kb import KB

JOINTEL = Path(sys.executable).with_name("jointel")
LOOPBACK = "127.0.0.1"
BUNDLED = Path("jointel/models/default")  # inside the exported sources
AIDA_FILE = "aida/AIDA-YAGO2-dataset.tsv"
REQUEST_SECONDS = 120.0  # one fuzz or load request; the longest texts take a few seconds
HEALTHY_SECONDS = 180.0  # a server must answer /health within this after its start
STRAGGLER_SECONDS = 15.0  # how long the processes of a killed command may take to go
LOAD_RUNS = ((1, 1), (2, 1), (1, 2))  # (workers, torch threads per process)
THROUGHPUT_TARGET = 1.6  # 2 workers / 1 worker
TRAIN_DOCUMENTS = {"train": 15, "testa": 3, "testb": 3}  # a training of a few seconds
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
LEFTOVER = re.compile(r"\..+\.(tmp|lock|old)|.+\.tmp|.+-(journal|wal|shm)")
READ_ERRORS = (OSError, ValueError, RuntimeError, EOFError, KeyError, pickle.UnpicklingError, sqlite3.DatabaseError)

NAMES = ("Germany", "Argentina", "Rio de Janeiro", "Paris Hilton", "Paris", "EU", "NASA", "Elon Musk", "U.S.")
SPECIALS = ("\x00", "\ufeff", "\u200b", "\u200d", "\u202e", "\u202c", "\u200f", "\u2066", "\u2069", "\u2028", "\u00a0")
SPECIALS += ("\u3000", "\r\n", "\t", "\x7f", "\x1b", "\ufffd", "\uffff", "\U0010ffff")
RIGHT_TO_LEFT = ("שלום", "ירושלים", "مرحبا", "القاهرة", "\u202eGermany\u202c", "\u05d0Paris\u05d1", "\u200fEU")
BLANKS = (" ", "\n", "\t", "\r", "\u00a0", "\u2028", "\u3000", "\u200b")
VALID = ("valid text", "text of exactly --max-chars")  # fuzz requests that must get a 2xx
CATEGORIES = {  # fuzz request kinds and their shares
    "valid text": 0.55,
    "valid text and spans (some outside the text)": 0.15,
    "random JSON values in the fields": 0.13,
    "other JSON bodies": 0.08,
    "broken bodies (cut, bad UTF-8, deep nesting, no JSON type)": 0.08,
    "text of exactly --max-chars": 0.002,
    "text over --max-chars": 0.003,
}


# Processes: every command starts a session of its own (start_new_session), so its pid names its session.


def session_processes(session: int) -> list[int]:
    """Live processes of a session: the command and all it started, even those in a process group of their own
    (Ray's workers) or whose parent died."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        if int(fields[3]) == session and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def kill_session(process: subprocess.Popen) -> list[str]:
    """SIGKILL the command's process group, wait for the rest of its session to go, SIGKILL what does not; returns
    the names of the processes still alive `STRAGGLER_SECONDS` after the kill."""
    if process.poll() is None or session_processes(process.pid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + STRAGGLER_SECONDS
    while session_processes(process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    names = []
    for pid in session_processes(process.pid):
        with contextlib.suppress(OSError):  # ended meanwhile
            names.append(Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")[:60])
            os.kill(pid, signal.SIGKILL)
    return names


def spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("w") as handle:
        return subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, env=env, start_new_session=True)


def run_to_end(command: list[str], env: dict[str, str], log: Path, timeout: float) -> tuple[int | None, float]:
    """Exit code (None: killed after `timeout` s) and seconds of a command run to its end."""
    start, process = time.perf_counter(), spawn(command, env, log)
    try:
        code = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        code = None
    kill_session(process)  # what it left running (none expected)
    return code, time.perf_counter() - start


def peak_rss(session: int) -> tuple[int, int]:
    """Sum of the peak resident sets (VmHWM) of a session's processes in bytes, and how many processes: above the
    peak of the tree at any one moment, never below it."""
    total = count = 0
    for pid in session_processes(session):
        with contextlib.suppress(OSError):
            status = Path(f"/proc/{pid}/status").read_text()
            total += 1024 * int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))
            count += 1
    return total, count


def export_sources(work: Path) -> tuple[Path, str]:
    """jointel as committed at HEAD, in `work/src`; and the commit."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO_ROOT)
    archive = subprocess.run(["git", "archive", "--format=tar", "HEAD", "jointel"], capture_output=True, cwd=REPO_ROOT)
    source = work / "src"
    source.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(source)], input=archive.stdout, check=True)
    return source, commit.stdout.strip()


def environment(source: Path, cache: Path) -> dict[str, str]:
    """Commands import jointel from `source` (PYTHONPATH comes before the editable install) and cache in `cache`."""
    cache.mkdir(parents=True, exist_ok=True)
    return {**os.environ, "PYTHONPATH": str(source), "JOINTEL_CACHE": str(cache)}


# The server.


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


@contextmanager
def serving(
    env: dict[str, str], kb: Path, workers: int, log: Path, threads: int = 1
) -> Iterator[tuple[str, subprocess.Popen]]:
    """A `jointel --threads THREADS serve` process with default limits on a free loopback port, answering /health;
    stopped after."""
    port = free_port()
    command = [str(JOINTEL), "--threads", str(threads), "serve", "--host", LOOPBACK, "--port", str(port)]
    command += ["--kb", str(kb)]
    process = spawn([*command, "--workers", str(workers)], env, log)
    url = f"http://{LOOPBACK}:{port}"
    try:
        deadline = time.monotonic() + HEALTHY_SECONDS
        while not _is_healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: see {log}")
            time.sleep(0.5)
        yield url, process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=30)
        kill_session(process)


def _is_healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


# Fuzzed requests.


@dataclass(frozen=True)
class FuzzRequest:
    category: str
    endpoint: str  # /annotate or / (REL)
    body: bytes
    content_type: str | None = "application/json"


def fuzz_piece(rng: random.Random) -> str:
    kind = rng.choices(range(10), weights=(4, 3, 2, 2, 2, 1, 1, 1, 0.3, 3))[0]
    if kind == 0:
        return rng.choice(NAMES)
    if kind == 1:
        return "".join(rng.choice(string.ascii_letters) for _ in range(rng.randint(1, 12)))
    if kind == 2:  # any code point: surrogates, noncharacters and private use included
        return "".join(chr(rng.randrange(0x110000)) for _ in range(rng.randint(1, 12)))
    if kind == 3:  # a lone surrogate, alone or glued to a name
        return rng.choice(("", *NAMES)) + chr(rng.randrange(0xD800, 0xE000)) + rng.choice(("", *NAMES))
    if kind == 4:
        return rng.choice(SPECIALS) * rng.randint(1, 4)
    if kind == 5:
        return rng.choice(RIGHT_TO_LEFT)
    if kind == 6:  # combining marks stacked on a name
        return rng.choice(NAMES) + "".join(chr(rng.randrange(0x300, 0x370)) for _ in range(rng.randint(1, 40)))
    if kind == 7:
        return "\u200d".join(chr(rng.randrange(0x1F300, 0x1FAFF)) for _ in range(rng.randint(1, 5)))
    if kind == 8:  # a very long token
        return rng.choice(("a", "Z", "9", "ü", "€", "\U0001d538", ".", "-", "Germany")) * rng.randint(100, 20_000)
    return rng.choice((" ", "  ", "\n", "\n\n", "\t", " \u00a0 "))


def fuzz_text(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.03:
        return ""
    if roll < 0.06:
        return "".join(rng.choice(BLANKS) for _ in range(rng.randint(1, 50)))
    return "".join(fuzz_piece(rng) + rng.choice((" ", " ", "", "\n")) for _ in range(rng.randint(1, 30)))


def random_json(rng: random.Random, depth: int = 0) -> object:
    kind = rng.randrange(7 if depth < 3 else 5)
    if kind == 0:
        return None
    if kind == 1:
        return rng.random() < 0.5
    if kind == 2:
        return rng.choice((0, -1, 7, 2**31, -(2**63), 10**30, rng.randint(-(10**6), 10**6)))
    if kind == 3:
        return rng.choice((0.5, -0.0, 1e308, -1e-308, float("nan"), float("inf"), rng.uniform(-2, 2)))
    if kind == 4:
        return fuzz_text(rng)[:200]
    if kind == 5:
        return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {fuzz_piece(rng)[:20]: random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def text_payload(rng: random.Random, endpoint: str, text: str) -> dict:
    if endpoint == "/":
        return {"text": text} if rng.random() < 0.5 else {"text": text, "spans": []}
    payload: dict = {"text": text}
    if rng.random() < 0.3:
        payload["nil_threshold"] = rng.random()
    if rng.random() < 0.3:
        payload["top_k"] = rng.randint(0, 5)
    return payload


def spans_payload(rng: random.Random, endpoint: str, text: str) -> dict:
    """Spans over the names in the text, and random ones, some outside it or empty or reversed."""
    named = [match.span() for match in re.finditer("|".join(map(re.escape, NAMES)), text)]
    spans = rng.sample(named, min(len(named), rng.randint(0, 6)))
    for _ in range(rng.randint(0 if spans else 1, 4)):
        start = rng.randint(-3, len(text) + 3)
        spans.append((start, start + rng.randint(-2, 15)))
    if endpoint == "/":
        return {"text": text, "spans": [[start, end - start] for start, end in spans]}
    return {**text_payload(rng, endpoint, text), "spans": [{"start": start, "end": end} for start, end in spans]}


def odd_payload(rng: random.Random, endpoint: str, text: str) -> dict:
    payload = spans_payload(rng, endpoint, text) if rng.random() < 0.3 else text_payload(rng, endpoint, text)
    keys = ["text", "spans"] + (["nil_threshold", "top_k"] if endpoint == "/annotate" else [])
    for key in rng.sample(keys, rng.randint(1, 2)):
        payload[key] = random_json(rng)
    if rng.random() < 0.2:
        payload[fuzz_piece(rng)[:20]] = random_json(rng)
    if rng.random() < 0.1:
        del payload["text"]
    return payload


def broken_body(rng: random.Random, text: str) -> tuple[bytes, str | None]:
    valid = json.dumps({"text": text}).encode()
    kind = rng.randrange(7)
    if kind == 0:
        return valid[: rng.randrange(len(valid))], "application/json"
    if kind == 1:
        return rng.randbytes(rng.randint(1, 300)), "application/json"
    if kind == 2:
        return b'{"text": "Paris ' + rng.choice(
            (b"\xff", b"\xc0\x80", b"\xed\xa0\x80", b"\xf8\x88")
        ) + b'"}', "application/json"
    if kind == 3:
        depth = rng.choice((10, 1_000, 100_000))
        return b'{"text": ' + b"[" * depth + b"]" * depth + b"}", "application/json"
    if kind == 4:
        return b"", "application/json"
    if kind == 5:
        return valid, rng.choice((None, "text/plain", "application/x-www-form-urlencoded"))
    return json.dumps({"text": text}).encode("utf-16"), "application/json"


def fuzz_request(rng: random.Random, max_chars: int) -> FuzzRequest:
    category = rng.choices(list(CATEGORIES), weights=list(CATEGORIES.values()))[0]
    endpoint, text = rng.choice(("/annotate", "/")), fuzz_text(rng)[:max_chars]
    if category.startswith("broken"):
        body, content_type = broken_body(rng, text)
        return FuzzRequest(category, endpoint, body, content_type)
    if category.startswith("text "):  # sentences up to the limit, or just past it
        length = max_chars if "exactly" in category else max_chars + rng.randint(1, 1000)
        text = ("Germany beat Argentina in Rio de Janeiro. " * (length // 40 + 1))[:length]
    if category == "other JSON bodies":
        payload = random_json(rng)
    elif category.startswith("random"):
        payload = odd_payload(rng, endpoint, text)
    elif category.startswith("valid text and spans"):
        payload = spans_payload(rng, endpoint, text)
    else:
        payload = text_payload(rng, endpoint, text)
    # ensure_ascii escapes lone surrogates as \udxxx; without it they go out as raw (invalid UTF-8) bytes
    body = json.dumps(payload, ensure_ascii=rng.random() < 0.8).encode("utf-8", "surrogatepass")
    return FuzzRequest(category, endpoint, body)


def strict_json(raw: bytes) -> object:
    """The value of a body that is strict JSON: UTF-8, no NaN or Infinity."""

    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(raw.decode("utf-8"), parse_constant=refuse)


def answer_problem(request: FuzzRequest, response: httpx.Response) -> str | None:
    """What is wrong with an answer: not JSON; for a 2xx, a mention that does not quote the text at its offsets."""
    if not response.headers.get("content-type", "").startswith("application/json"):
        return f"content-type {response.headers.get('content-type')!r}"
    try:
        value = strict_json(response.content)
    except ValueError as error:
        return f"not strict JSON: {error}"
    if not response.is_success:
        return None
    try:  # the server reads the body with json.loads, then each lone surrogate as U+FFFD (server/schemas.py)
        text = LONE_SURROGATE.sub("\ufffd", json.loads(request.body)["text"])
        if request.endpoint == "/annotate":
            rows = [
                (m["start"], m["end"], m["text"], m["label"], m["ner_score"], m["el_score"]) for m in value["mentions"]
            ]
        else:
            rows = [
                (start, start + length, quoted, label, ner, el) for start, length, quoted, _, el, ner, label in value
            ]
    except (KeyError, TypeError, ValueError) as error:
        return f"a 2xx of an unexpected shape ({type(error).__name__}: {error})"
    for start, end, quoted, label, *scores in rows:
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start <= end <= len(text)):
            return f"offsets [{start}, {end}) outside a text of {len(text)} characters"
        if text[start:end] != quoted:
            return f"text[{start}:{end}] is {text[start:end]!r}, the answer says {quoted!r}"
        if label not in LABELS or not all(isinstance(s, int | float) and 0 <= s <= 1 for s in scores):
            return f"label {label!r} or scores {scores} out of range"
    return None


def status_class(status: int | None) -> str:
    if status is None:
        return "no answer"
    return "503" if status == 503 else f"{status // 100}xx"


@dataclass
class Fuzzed:
    tally: dict[str, Counter]  # category → requests, answers by class, "not JSON", "bad 2xx"
    statuses: Counter
    failures: list[str]
    seconds: float
    alive: bool  # the server still answered /health after the last request


def fuzz(url: str, process: subprocess.Popen, args: argparse.Namespace, rng: random.Random) -> Fuzzed:
    """Send `--fuzz` requests one at a time (at most `--fuzz-minutes`); the bodies of failed ones go to files."""
    max_chars = httpx.get(f"{url}/health").json()["max_chars"]
    tally, statuses, failures = {name: Counter() for name in CATEGORIES}, Counter(), []
    saved = args.work / "fuzz-failures"
    start = time.monotonic()
    with httpx.Client(base_url=url, timeout=REQUEST_SECONDS) as client:
        for number in range(args.fuzz):
            if time.monotonic() - start > 60 * args.fuzz_minutes:
                break
            request = fuzz_request(rng, max_chars)
            headers = {"content-type": request.content_type} if request.content_type else {}
            sent = time.perf_counter()
            try:
                response = client.post(request.endpoint, content=request.body, headers=headers)
            except httpx.HTTPError as error:
                status, problem = None, f"no answer ({type(error).__name__})"
            else:
                status, problem = response.status_code, answer_problem(request, response)
            counts = tally[request.category]
            counts.update(["requests", status_class(status)])
            counts["seconds"] += time.perf_counter() - sent
            statuses[status] += 1
            if problem is not None:
                counts["not JSON" if status is None or not 200 <= status < 300 else "bad 2xx"] += 1
            elif request.category in VALID and status_class(status) != "2xx":
                problem = "a valid request refused"
                counts["valid refused"] += 1
            if problem is not None or status_class(status) in ("5xx", "503"):
                saved.mkdir(exist_ok=True)
                path = saved / f"{number:05d}.json"
                path.write_bytes(request.body)
                failures.append(f"{request.endpoint} {os.path.relpath(path, REPO_ROOT)}: {status} {problem or ''}")
            if status is None and process.poll() is not None:
                break  # the server died: nothing more to learn
    return Fuzzed(tally, statuses, failures, time.monotonic() - start, _is_healthy(url))


# Load.


@dataclass
class Loaded:
    workers: int
    threads: int  # torch threads per server process
    answers: Counter  # by class
    latencies: list[float]  # seconds of the successful requests
    seconds: float
    rss: tuple[int, int]  # peak RSS of the server's processes (sum of VmHWM), and how many
    load: float  # 1-minute load average at the end

    @property
    def throughput(self) -> float:
        return self.answers["2xx"] / self.seconds


async def _clients(url: str, texts: list[str], clients: int, seconds: float) -> tuple[Counter, list[float], float]:
    answers, latencies = Counter(), []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    start = time.monotonic()
    deadline = start + seconds
    async with httpx.AsyncClient(base_url=url, timeout=REQUEST_SECONDS, limits=limits) as client:

        async def one(index: int) -> None:
            while time.monotonic() < deadline:
                sent = time.perf_counter()
                try:
                    response = await client.post("/annotate", json={"text": texts[index % len(texts)]})
                except httpx.HTTPError:
                    answers["no answer"] += 1
                    await asyncio.sleep(1)
                    continue
                answers[status_class(response.status_code)] += 1
                if response.is_success:
                    latencies.append(time.perf_counter() - sent)
                    index += clients
                elif response.status_code == 503:
                    retry = response.headers.get("retry-after", "1")
                    await asyncio.sleep(min(float(retry) if retry.isdigit() else 1.0, 5.0))

        await asyncio.gather(*(one(index) for index in range(clients)))
    return answers, latencies, time.monotonic() - start


def load_run(
    env: dict[str, str], kb: Path, workers: int, threads: int, texts: list[str], args: argparse.Namespace
) -> Loaded:
    """A fresh `jointel --threads THREADS serve --workers WORKERS` under load."""
    log = args.work / f"serve-load-{workers}-threads-{threads}.log"
    with serving(env, kb, workers, log, threads) as (url, process):
        answers, latencies, seconds = asyncio.run(_clients(url, texts, args.clients, args.seconds))
        rss = peak_rss(process.pid)
    return Loaded(workers, threads, answers, latencies, seconds, rss, os.getloadavg()[0])


# Kills. A target is one command: its old state, its command, and the state its artefacts are in.


class Target:
    name = ""
    window = 0.0  # kill within this many seconds of the start (0: within the uninterrupted run's time)

    def __init__(self, work: Path, env: dict[str, str], source: Path, data_dir: Path):
        self.directory, self.env, self.data_dir = work / self.slug(), env, data_dir
        self.kb = source / BUNDLED / "kb.sqlite"
        self.directory.mkdir(parents=True, exist_ok=True)

    @classmethod
    def slug(cls) -> str:
        return cls.name.removeprefix("jointel ").replace(" ", "-")

    def prepare(self) -> None:
        """Put the old state in place."""

    def command(self, is_rerun: bool) -> list[str]:
        raise NotImplementedError

    def remember(self) -> None:
        """Record the new state, after the uninterrupted run."""

    def state(self) -> tuple[str, str]:
        """old | new | between (whole artefacts, some done) | differs (whole, not the uninterrupted result) |
        corrupt; and what was found."""
        raise NotImplementedError

    def places(self) -> list[Path]:
        """Where temporaries and locks may be left."""
        return [self.directory]


def kb_state(path: Path, old: dict | None, new: dict | None) -> tuple[str, str]:
    try:
        with KB(path) as kb:
            counts = kb.counts()
    except READ_ERRORS as error:
        return "corrupt", f"{path.name}: {error}"
    return ("old" if counts == old else "new" if counts == new else "corrupt"), f"{counts['entities']:,} entities"


class KBAdd(Target):
    name = "jointel kb add"

    def __init__(self, *arguments):
        super().__init__(*arguments)
        self.target, self.entities = self.directory / "kb.sqlite", self.directory / "entities.jsonl"
        lines = [
            {"title": f"Reliability_{i}", "aliases": [f"Reliability {i}", f"RLB{i}"], "type": "ORG"} for i in range(300)
        ]
        self.entities.write_text("".join(json.dumps(line) + "\n" for line in lines))
        with KB(self.kb) as bundled:
            self.old = bundled.counts()

    def prepare(self) -> None:
        shutil.copyfile(self.kb, self.target)

    def command(self, is_rerun: bool) -> list[str]:
        return [str(JOINTEL), "kb", "add", str(self.entities), "--kb", str(self.target)]

    def remember(self) -> None:
        with KB(self.target) as built:
            self.new = built.counts()

    def state(self) -> tuple[str, str]:
        return kb_state(self.target, self.old, self.new)


class KBBuild(KBAdd):
    name = "jointel kb build"
    window = 20.0

    def __init__(self, *arguments):
        super().__init__(*arguments)
        for parsed in default_cache_dir().glob("corpus-*.pkl"):  # the parsed corpus, so a build takes ~20 s
            shutil.copy(parsed, self.env["JOINTEL_CACHE"])

    def command(self, is_rerun: bool) -> list[str]:
        return [str(JOINTEL), "kb", "build", "--out", str(self.target), "--data-dir", str(self.data_dir)]

    def places(self) -> list[Path]:
        return [self.directory, Path(self.env["JOINTEL_CACHE"])]


class Train(Target):
    name = "jointel train"
    EPOCHS = 2

    def __init__(self, *arguments):
        super().__init__(*arguments)
        self.data, self.out = self.directory / "data", self.directory / "out"
        _few_documents(self.data_dir, self.data, TRAIN_DOCUMENTS)

    def prepare(self) -> None:
        shutil.rmtree(self.out, ignore_errors=True)

    def command(self, is_rerun: bool) -> list[str]:
        paths = ["--data-dir", str(self.data), "--kb", str(self.kb), "--out", str(self.out)]
        sizes = ["--epochs", str(self.EPOCHS), "--no-pretrained-vectors", "--hidden", "32", "--word-dim", "20"]
        resume = ["--resume"] if is_rerun and (self.out / "checkpoint.pt").is_file() else []
        return [str(JOINTEL), "train", *paths, *sizes, *resume]

    def remember(self) -> None:
        self.history = self._history()

    def _history(self) -> list[list]:
        rows = json.loads((self.out / "history.json").read_text())
        return [[row[key] for key in ("epoch", "ner_loss", "el_loss", "dev_ner_f1", "dev_el_f1")] for row in rows]

    def state(self) -> tuple[str, str]:
        """Every artefact present must read; new = the model and the history of all epochs."""
        found = ", ".join(sorted(path.name for path in self.out.iterdir())) if self.out.is_dir() else ""
        try:
            if (self.out / "model").exists():
                jointel.load(self.out / "model", kb=self.kb).close()
            if (self.out / "checkpoint.pt").exists():
                torch.load(self.out / "checkpoint.pt", weights_only=False)["model"]
            for name in ("history.json", "vocabs.json"):
                if (self.out / name).exists():
                    json.loads((self.out / name).read_text())
            history = self._history() if (self.out / "history.json").exists() else []
        except READ_ERRORS as error:
            return "corrupt", f"{found}: {error}"
        if not found:
            return "old", "nothing"
        if not (self.out / "model").exists() or len(history) < self.EPOCHS:
            return "between", found
        return ("new" if history == self.history else "differs"), found

    def places(self) -> list[Path]:
        return [self.directory, Path(self.env["JOINTEL_CACHE"])]


def _few_documents(data_dir: Path, into: Path, counts: dict[str, int]) -> None:
    """A data directory with the first documents of each split of CoNLL-2003 and AIDA, for a training in seconds."""
    (into / "conll2003").mkdir(parents=True)
    (into / "aida").mkdir()
    for split, count in counts.items():
        name = f"conll2003/eng.{split}"
        (into / name).write_text("".join(_documents(data_dir / name)[:count]))
    kept: dict[str, list[str]] = {split: [] for split in counts}
    for document in _documents(data_dir / AIDA_FILE):  # train, then testa (ids "947testa …"), then testb
        split = re.match(r"-DOCSTART- \(\d+(testa|testb)?", document).group(1) or "train"
        if len(kept[split]) < counts[split]:
            kept[split].append(document)
    (into / AIDA_FILE).write_text("".join(document for split in counts for document in kept[split]))


def _documents(path: Path) -> list[str]:
    return [document for document in re.split(r"(?m)^(?=-DOCSTART-)", path.read_text()) if document]


class Annotate(Target):
    name = "jointel annotate"
    TEXTS = 2_000

    def __init__(self, *arguments):
        super().__init__(*arguments)
        self.input, self.output = self.directory / "texts.jsonl", self.directory / "annotated.jsonl"
        sentences = [" ".join(tokens) for tokens in _sentences(self.data_dir)][: self.TEXTS]
        self.input.write_text("".join(json.dumps({"id": i, "text": s}) + "\n" for i, s in enumerate(sentences)))
        self.old = b'{"id": "old", "mentions": []}\n' * 10

    def prepare(self) -> None:
        self.output.write_bytes(self.old)

    def command(self, is_rerun: bool) -> list[str]:
        return [
            str(JOINTEL),
            "annotate",
            "--input",
            str(self.input),
            "--output",
            str(self.output),
            "--kb",
            str(self.kb),
        ]

    def remember(self) -> None:
        self.new = self.output.read_bytes()

    def state(self) -> tuple[str, str]:
        found = self.output.read_bytes() if self.output.is_file() else b""
        lines = f"{len(found.splitlines()):,} lines"
        if found in (self.old, self.new):
            return ("old" if found == self.old else "new"), lines
        try:
            ids = [json.loads(line)["id"] for line in found.decode().splitlines()]
        except READ_ERRORS as error:
            return "corrupt", f"{lines}: {error}"
        return ("differs" if ids == [str(i) for i in range(self.TEXTS)] else "corrupt"), lines


def _sentences(data_dir: Path) -> Iterator[tuple[str, ...]]:
    for block in (data_dir / "conll2003" / "eng.testb").read_text().split("\n\n"):
        tokens = tuple(line.split()[0] for line in block.splitlines() if line and not line.startswith("-DOCSTART-"))
        if tokens:
            yield tokens


class AnnotateCorpus(Target):
    name = "jointel annotate-corpus"
    FILES, DOCUMENTS, SHARD = 4, 100, 50

    def __init__(self, *arguments):
        super().__init__(*arguments)
        self.input, self.output = self.directory / "input", self.directory / "output"
        self.input.mkdir()
        sentences = [" ".join(tokens) for tokens in _sentences(self.data_dir)]
        for file in range(self.FILES):
            rows = range(file * self.DOCUMENTS, (file + 1) * self.DOCUMENTS)
            documents = [{"id": f"d{i}", "text": " ".join(sentences[3 * i : 3 * i + 3])} for i in rows]
            (self.input / f"part-{file}.jsonl").write_text("".join(json.dumps(d) + "\n" for d in documents))

    def prepare(self) -> None:
        shutil.rmtree(self.output, ignore_errors=True)

    def command(self, is_rerun: bool) -> list[str]:
        options = ["--workers", "1", "--shard-size", str(self.SHARD), "--kb", str(self.kb)]
        return [str(JOINTEL), "annotate-corpus", str(self.input), str(self.output), *options]

    def remember(self) -> None:
        self.new = {path.name: pq.read_table(path).to_pylist() for path in self.output.glob("*.parquet")}

    def state(self) -> tuple[str, str]:
        shards = {}
        for path in self.output.glob("*.parquet"):
            try:
                shards[path.name] = pq.read_table(path).to_pylist()
            except (pa.ArrowInvalid, OSError) as error:
                return "corrupt", f"{path.name}: {error}"
        summary = f"{len(shards)} of {len(self.new)} shards"
        if any(rows != self.new.get(name) for name, rows in shards.items()):
            return "differs", summary
        return ("old" if not shards else "new" if len(shards) == len(self.new) else "between"), summary


TARGETS = {target.slug(): target for target in (KBAdd, Train, Annotate, KBBuild, AnnotateCorpus)}  # cheap first


def leftovers(places: list[Path]) -> list[str]:
    return sorted(
        os.path.relpath(p, REPO_ROOT) for place in places for p in place.rglob("*") if LEFTOVER.fullmatch(p.name)
    )


@dataclass
class Killed:
    """The kills of one target and what they left."""

    name: str
    reference_seconds: float
    seconds: float = 0.0  # spent on this command, its uninterrupted run included
    kills: int = 0
    finished_first: int = 0  # ended by itself before its kill moment
    states: Counter = field(default_factory=Counter)  # after the kill: old, between, new, differs, corrupt
    left_by_kill: int = 0  # kills after which temporaries or locks were left (the rerun must remove them)
    resumed: int = 0  # reruns that resumed (train: a checkpoint existed)
    rerun_failed: int = 0  # reruns that failed or did not end with the new state
    stale: int = 0  # reruns after which temporaries or locks remained
    stragglers: int = 0  # processes still alive 15 s after a kill
    problems: list[str] = field(default_factory=list)


def kill_target(target: Target, args: argparse.Namespace, budget: float, rng: random.Random) -> Killed:
    """Kill the command at random moments, check the artefacts, rerun, check again; within `budget` seconds."""
    start, logs = time.monotonic(), target.directory / "logs"
    logs.mkdir()
    target.prepare()
    code, seconds = run_to_end(target.command(False), target.env, logs / "uninterrupted.log", 1800)
    if code != 0:
        raise RuntimeError(f"{target.name} failed without a kill: see {logs / 'uninterrupted.log'}")
    target.remember()
    result, timeout = Killed(target.name, seconds), 5 * seconds + 120
    window = 0.9 * min(target.window or seconds, seconds)  # a run may be faster than the uninterrupted one
    for number in range(1, args.kills + 1):
        if time.monotonic() - start > budget:
            break
        target.prepare()
        moment = rng.uniform(0, window)
        process = spawn(target.command(False), target.env, logs / f"{number}-killed.log")
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=moment)
            result.finished_first += 1
        if stragglers := kill_session(process):
            result.stragglers += len(stragglers)
            result.problems.append(f"kill {number}: alive {STRAGGLER_SECONDS:.0f} s later: {', '.join(stragglers)}")
        result.kills += 1
        state, found = target.state()
        result.states[state] += 1
        result.left_by_kill += bool(leftovers(target.places()))
        if state == "corrupt":
            result.problems.append(f"kill {number} at {moment:.1f} s: {found}")
        rerun = target.command(True)
        result.resumed += "--resume" in rerun
        code, _ = run_to_end(rerun, target.env, logs / f"{number}-rerun.log", timeout)
        final, found = target.state()
        if code != 0 or final != "new":
            result.rerun_failed += 1
            result.problems.append(
                f"rerun {number} (exit {code}): {final}, {found}; see {logs / f'{number}-rerun.log'}"
            )
        if stale := leftovers(target.places()):
            result.stale += 1
            result.problems.append(f"after rerun {number}: {', '.join(stale)}")
    result.seconds = time.monotonic() - start
    return result


# The section.


def fuzz_lines(fuzzed: Fuzzed, args: argparse.Namespace) -> list[str]:
    lines = [
        "### Fuzzed requests, one client",
        "",
        f"{sum(c['requests'] for c in fuzzed.tally.values()):,} requests (of `--fuzz {args.fuzz}`) in "
        f"{fuzzed.seconds:.0f} s, one at a time, half to `POST /annotate`, half to the REL-compatible `POST /`, of a "
        "`jointel serve` with its default limits (1 worker, --max-concurrent 1, --max-queued 8, --max-chars 100,000). "
        '"not JSON": answers that are not strict JSON (UTF-8, no NaN); "bad 2xx": a 2xx whose mention does not '
        "quote the text at its offsets (lone surrogates read as U+FFFD) or whose label or scores are out of range; "
        '"refused": a 4xx to a valid request (a text of at most --max-chars, no spans, valid options).',
        "",
        "| requests | count | 2xx | 4xx | 503 | 5xx | no answer | not JSON | bad 2xx | refused | mean ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    columns = ("requests", "2xx", "4xx", "503", "5xx", "no answer", "not JSON", "bad 2xx", "valid refused")
    for name, counts in [*fuzzed.tally.items(), ("all", sum(fuzzed.tally.values(), Counter()))]:
        cells = [f"{counts[column]:,}" for column in columns] + [f"{1000 * counts['seconds'] / counts['requests']:.0f}"]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    total = sum(fuzzed.tally.values(), Counter())
    statuses = ", ".join(f"{status}: {count:,}" for status, count in sorted(fuzzed.statuses.items(), key=str))
    lines += [
        "",
        f"- Statuses: {statuses}. Server healthy after the last request: {'yes' if fuzzed.alive else '**no**'}.",
        f"- Target: no 5xx: **{total['5xx']}** ({'met' if total['5xx'] == 0 else 'missed'}); 503 with one client: "
        f"**{total['503']}**; answers not JSON, bad 2xx or valid requests refused: "
        f"**{total['not JSON'] + total['bad 2xx'] + total['valid refused']}**.",
    ]
    lines += [f"- Failed: `{failure}`" for failure in fuzzed.failures[:10]]
    if fuzzed.failures:
        lines.append(
            "  (reproduce: `curl -s -H 'content-type: application/json' --data-binary @FILE "
            "http://127.0.0.1:8000/annotate` against `jointel serve --kb jointel/models/default/kb.sqlite`)"
        )
    return lines


def load_lines(runs: list[Loaded], args: argparse.Namespace) -> list[str]:
    lines = [
        "### Load",
        "",
        f"{args.clients} clients (asyncio, httpx, one process beside the server) for {args.seconds} s each, sending "
        "AIDA testb documents as they read (CoNLL tokens joined by spaces) to `POST /annotate` of a fresh server "
        "with its default limits (per process: --max-concurrent 1, --max-queued 8): a client that gets 503 waits its "
        "Retry-After and sends again. Latency of the successful requests, sent to answered (the wait behind up to 8 "
        "queued requests included); throughput: 2xx answers per second. Peak RSS: the sum of the peak resident sets "
        "(VmHWM) of the server's processes (the uvicorn supervisor included), above the tree's peak at any one "
        "moment, never below. Each server process computes with `jointel --threads` torch threads (default 1); the "
        "last row gives one process two.",
        "",
        "| workers | torch threads | requests | 2xx | 4xx | 5xx | 503 (retried) | no answer | p50 ms | p95 ms | 2xx/s "
        "| requests/s | peak RSS (processes) | load avg at end |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        a, total = run.answers, sum(run.answers.values())
        p50, p95 = (1000 * percentile(run.latencies, p) if run.latencies else float("nan") for p in (50, 95))
        lines.append(
            f"| {run.workers} | {run.threads} | {total:,} | {a['2xx']:,} | {a['4xx']:,} | {a['5xx']:,} | "
            f"{a['503']:,} | {a['no answer']:,} | {p50:.0f} | {p95:.0f} | {run.throughput:.1f} | "
            f"{total / run.seconds:.1f} | {megabytes(run.rss[0])} ({run.rss[1]}) | {run.load:.2f} |"
        )
    errors = sum(run.answers["5xx"] + run.answers["no answer"] for run in runs)
    lines += ["", f"- Target: no errors (5xx or no answer): **{errors}** ({'met' if errors == 0 else 'missed'})."]
    workers, threads = (runs[i].throughput / max(runs[0].throughput, 1e-9) for i in (1, 2))
    lines += [
        f"- Target: 2 workers at least {THROUGHPUT_TARGET}× the throughput of 1: **{workers:.2f}×** "
        f"({verdict(workers, THROUGHPUT_TARGET, True, '×')}); one worker with two threads: {threads:.2f}×. The "
        f"machine has {os.cpu_count()} cores, which the "
        f"{args.clients} clients share with the server's processes, and other jobs may run on it (see the load "
        "average).",
    ]
    return lines


def kill_lines(results: list[Killed], args: argparse.Namespace) -> list[str]:
    lines = [
        "### kill -9 at random moments",
        "",
        f"Each command killed (SIGKILL to its process group; then any process left in its session) at a moment drawn "
        f"uniformly within its uninterrupted run time (`kb build`: its first 20 s), up to `--kills {args.kills}` "
        f"times within `--kill-minutes {args.kill_minutes:g}` shared by the commands in the order of the table (the "
        "time one leaves unused goes to the next), then rerun the same way (`train`: with `--resume` when a "
        "checkpoint exists). "
        "After the kill: old = the state before the command, new = the uninterrupted run's result, between = whole "
        "artefacts, some done (shards, a checkpoint), corrupt = an artefact that does not read or is neither. "
        "Stale: `.*.tmp`, `.*.lock`, `.*.old`, SQLite journals. The commands: `kb add` of 300 entities into a copy "
        "of the bundled KB; `kb build --out` over the bundled KB (AIDA KB); `train --epochs 2` on 15 + 3 documents "
        "(hidden 32, no pretrained vectors); `annotate` of 2,000 testb sentences over an old 10-line output; "
        "`annotate-corpus --workers 1` of 400 documents in 8 shards.",
        "",
        "| command | run s | kills | minutes | ended first | old | between | new | differs | corrupt | left by kill "
        "| rerun failed | stale after rerun | processes left 15 s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        states = " | ".join(f"{r.states[s]}" for s in ("old", "between", "new", "differs", "corrupt"))
        lines.append(
            f"| `{r.name}` | {r.reference_seconds:.1f} | {r.kills} | {r.seconds / 60:.1f} | {r.finished_first} | "
            f"{states} | {r.left_by_kill} | {r.rerun_failed} | {r.stale} | {r.stragglers} |"
        )
    lost = sum(r.states["corrupt"] + r.rerun_failed for r in results)
    lines += [
        "",
        f"- Target: no lost or corrupt artefact: **{lost}** ({'met' if lost == 0 else 'missed'}); stale files after "
        f"a rerun: **{sum(r.stale for r in results)}**. Train reruns that resumed from a checkpoint: "
        f"{sum(r.resumed for r in results)}.",
    ]
    lines += [f"- `{r.name}`: {problem}" for r in results for problem in r.problems[:8]]
    return lines


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fuzz", type=int, default=10_000, help="fuzzed requests")
    parser.add_argument("--fuzz-minutes", type=float, default=15.0, help="stop fuzzing after this")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0, help="of load, per server")
    parser.add_argument("--kills", type=int, default=20, help="per command")
    parser.add_argument("--kill-minutes", type=float, default=25.0, help="for all kills, shared by the commands")
    parser.add_argument("--parts", default="fuzz,load,kills")
    parser.add_argument("--targets", default=",".join(TARGETS), help="commands to kill")
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--work", type=Path, default=REPO_ROOT / "runs" / "bench-reliability")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "BENCHMARKS.md")
    return parser.parse_args()


def main() -> None:
    args = arguments()
    args.work = args.work.resolve()
    load_at_start, rng, parts = load_average(), random.Random(args.seed), args.parts.split(",")
    shutil.rmtree(args.work, ignore_errors=True)
    source, commit = export_sources(args.work)
    data_dir, kb = resolve_data_dir(args.data_dir), source / BUNDLED / "kb.sqlite"
    lines = []
    if "fuzz" in parts:
        with serving(environment(source, args.work / "cache"), kb, 1, args.work / "serve-fuzz.log") as server:
            fuzzed = fuzz(*server, args, rng)
        print(f"fuzz: {fuzzed}", flush=True)
        lines += [*fuzz_lines(fuzzed, args), ""]
    if "load" in parts:
        texts = [raw_text(document) for document in split_documents("testb", args.data_dir)]
        env, runs = environment(source, args.work / "cache"), []
        for workers, threads in LOAD_RUNS:
            runs.append(load_run(env, kb, workers, threads, texts, args))
            print(f"load: {[(run.workers, run.threads, run.answers, run.throughput) for run in runs]}", flush=True)
        lines += [*load_lines(runs, args), ""]
    if "kills" in parts:
        names, results, left = args.targets.split(","), [], 60 * args.kill_minutes
        for number, name in enumerate(names):  # the time a command leaves unused goes to the next ones
            target = TARGETS[name](args.work, environment(source, args.work / name / "cache"), source, data_dir)
            results.append(kill_target(target, args, left / (len(names) - number), rng))
            left -= results[-1].seconds
            print(f"kills: {results[-1]}", flush=True)
        lines += kill_lines(results, args)
    title = [
        "## Reliability: fuzzed requests, load, kill -9 (issue 20)",
        "",
        header("each jointel command: `jointel --threads`, default 1 (the load table says where not)", load_at_start),
        f"Code under test: jointel as committed at {commit}, exported with `git archive` (edits not committed when "
        f"the run started are not measured); the bundled model with its own KB (`{BUNDLED}/kb.sqlite`); "
        f"seed {args.seed}.",
        "",
    ]
    publish(args.out, "reliability", title + lines)


if __name__ == "__main__":
    main()
