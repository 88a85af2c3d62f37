"""The one atomic writer: whole files or none, one writer at a time, stale temporaries cleaned, readable results."""

import errno
import logging
import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest

from jointel.data.files import locked, replaced_atomically, replaced_directory, write_atomic


def _leftovers(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir() if path.name.startswith("."))


def test_write_atomic_replaces_the_file_and_leaves_nothing_beside_it(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("old")
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert _leftovers(tmp_path) == []


def test_a_failing_block_keeps_the_old_file_and_removes_its_temporary(tmp_path):
    target = tmp_path / "out.jsonl"
    target.write_text("PRECIOUS\n")
    with pytest.raises(RuntimeError), replaced_atomically(target) as temp:
        temp.write_text("partial\n")
        raise RuntimeError("the run failed half way")
    assert target.read_text() == "PRECIOUS\n"
    assert _leftovers(tmp_path) == []


def test_new_files_are_readable_by_others_as_the_umask_allows(tmp_path):
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "weights.pt", b"x")
    finally:
        os.umask(old)
    assert (tmp_path / "weights.pt").stat().st_mode & 0o777 == 0o644


def test_stale_temporaries_of_the_target_are_removed_with_a_warning_and_others_kept(tmp_path, caplog):
    target = tmp_path / "k.sqlite"
    stale = [tmp_path / ".k.sqlite.ab_cd123.tmp", tmp_path / ".k.sqlite.ab_cd123.tmp-journal"]
    orphan = tmp_path / ".k.sqlite.zz99zz99.tmp-journal"  # its database was removed, its journal was not
    others = [tmp_path / ".k.sqlite.bak.ab_cd123.tmp", tmp_path / ".k.sqlite.notes", tmp_path / "k.sqlite.tmp"]
    for path in [*stale, orphan, *others]:
        path.write_text("x")
    with caplog.at_level(logging.WARNING, logger="jointel.data.files"):
        write_atomic(target, b"new")
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(["k.sqlite", *(p.name for p in others)])
    assert sum("interrupted" in record.getMessage() for record in caplog.records) == 3


def _increment(path: Path, pause: float) -> None:
    with replaced_atomically(path) as temp:
        value = int(path.read_text())  # read under the lock, as an edit of a shared file must
        time.sleep(pause)
        temp.write_text(str(value + 1))


def test_concurrent_read_modify_write_edits_are_serialised_not_lost(tmp_path):
    counter = tmp_path / "counter"
    counter.write_text("0")
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_increment, args=(counter, 0.2)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    assert counter.read_text() == "4"
    assert _leftovers(tmp_path) == []  # the lock file goes with the last writer


def _killed_mid_write(path: Path) -> None:
    with replaced_atomically(path) as temp:
        temp.write_text("half")
        os.kill(os.getpid(), signal.SIGKILL)


def test_a_writer_killed_mid_write_leaves_the_old_file_and_the_next_writer_cleans_up(tmp_path):
    target = tmp_path / "checkpoint.pt"
    target.write_text("old")
    worker = multiprocessing.get_context("fork").Process(target=_killed_mid_write, args=(target,))
    worker.start()
    worker.join(timeout=30)
    assert worker.exitcode == -signal.SIGKILL
    assert target.read_text() == "old"
    assert len(_leftovers(tmp_path)) == 2  # its temporary and its lock file
    write_atomic(target, b"new")  # the dead writer's lock is free: no wait
    assert target.read_text() == "new"
    assert _leftovers(tmp_path) == []


def test_a_second_writer_waits_for_the_first_and_says_so(tmp_path, caplog):
    target = tmp_path / "kb.sqlite"
    started = multiprocessing.get_context("fork").Event()

    def hold() -> None:
        with locked(target):
            started.set()
            time.sleep(0.5)

    holder = multiprocessing.get_context("fork").Process(target=hold)
    holder.start()
    assert started.wait(10)
    begin = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="jointel.data.files"):
        write_atomic(target, b"after")
    assert time.monotonic() - begin > 0.2
    holder.join(timeout=10)
    assert any("waiting for another jointel" in record.getMessage() for record in caplog.records)
    assert target.read_bytes() == b"after"


def test_a_character_device_is_written_in_place(tmp_path):
    with replaced_atomically(Path("/dev/null")) as temp:
        assert temp == Path("/dev/null")
        temp.write_text("discarded")


def test_replaced_directory_swaps_whole_directories_shared_as_the_umask_allows(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "weights.pt").write_text("old")
    stale = tmp_path / ".model.k1ll3d_0.tmp"  # a save killed half way
    stale.mkdir()
    (stale / "config.json").write_text("{")
    old = os.umask(0o022)
    try:
        with replaced_directory(target) as temp:
            (temp / "weights.pt").write_text("new")
    finally:
        os.umask(old)
    assert (target / "weights.pt").read_text() == "new"
    assert target.stat().st_mode & 0o777 == 0o755
    assert sorted(path.name for path in tmp_path.iterdir()) == ["model"]


def test_a_kill_between_the_two_renames_is_undone_by_the_next_writer(tmp_path, caplog):
    target = tmp_path / "model"
    parked = tmp_path / ".model.old"  # the old model, moved aside just before the kill
    parked.mkdir()
    (parked / "weights.pt").write_text("old")
    warnings = caplog.at_level(logging.WARNING, logger="jointel.data.files")
    with warnings, pytest.raises(RuntimeError), replaced_directory(target):
        assert (target / "weights.pt").read_text() == "old"
        raise RuntimeError("this save fails too")
    assert (target / "weights.pt").read_text() == "old"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["model"]
    assert [record.getMessage() for record in caplog.records] == [
        f"restored {target} from {parked}, left behind by an interrupted jointel run"
    ]


def test_issue_20_12_an_os_error_in_writing_names_the_target_not_its_temporary(tmp_path, monkeypatch):
    """The user gave `out.json`: a full disk, a read-only place or a directory in the way is reported for it."""
    target = tmp_path / "out.json"
    target.write_text("old")
    with pytest.raises(OSError) as raised, replaced_atomically(target) as temp, temp.open("w") as handle:
        handle.write("new, in part")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # what a file object's write raises: no file name
    assert (raised.value.errno, raised.value.filename) == (errno.ENOSPC, str(target))
    assert target.read_text() == "old" and _leftovers(tmp_path) == []

    (tmp_path / "directory").mkdir()
    with pytest.raises(IsADirectoryError) as raised:
        write_atomic(tmp_path / "directory", b"new")  # os.replace named the temporary
    assert raised.value.filename == str(tmp_path / "directory")

    def read_only(*args, dir, prefix, suffix):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.path.join(dir, f"{prefix}x1y2z3a4{suffix}"))

    monkeypatch.setattr("jointel.data.files.tempfile.mkstemp", read_only)
    with pytest.raises(OSError) as raised:
        write_atomic(target, b"new")
    assert (raised.value.errno, raised.value.filename) == (errno.EROFS, str(target))


def test_an_os_error_about_another_file_is_left_as_it_is(tmp_path):
    with pytest.raises(FileNotFoundError) as raised, replaced_atomically(tmp_path / "out.json"):
        (tmp_path / "input.txt").read_text()
    assert raised.value.filename == str(tmp_path / "input.txt")
    with pytest.raises(FileNotFoundError, match=r"^input\.txt: no such file$"), replaced_atomically(tmp_path / "o"):
        raise FileNotFoundError("input.txt: no such file")  # a message of ours: no errno, nothing to rename
