"""Cassette files: load errors name the file, saves are atomic, locked, checked, and never clobber bad files."""

from __future__ import annotations

import errno
import os
import threading
from pathlib import Path

import pytest

from groq_vcr import Cassette, CassetteFormatError, CassetteSaveError, Interaction, Request, Response, SecretFoundError
from groq_vcr.cassette._emit import dump_cassette
from groq_vcr.cassette._storage import (
    file_stamp,
    find_cassette_files,
    load_cassette,
    lock_path,
    parse_cassette,
    read_text,
    save_cassette,
    update_cassette,
    write_atomic,
)

REFERENCE = Path(__file__).resolve().parents[2] / "cassettes" / "groq_chat_stream.yaml"


def _cassette(body: str = "hi") -> Cassette:
    return Cassette(
        interactions=[
            Interaction(
                request=Request(url="https://api.groq.com/openai/v1/models", method="GET"),
                response=Response(body=body, headers={"Content-Type": ["text/plain"]}),
            )
        ]
    )


def test_save_then_load_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "c.yaml"
    save_cassette(path, _cassette())
    assert path.read_text(encoding="utf-8") == dump_cassette(_cassette())
    assert load_cassette(path) == _cassette()


def test_reference_file_loads_and_saves_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "ref.yaml"
    path.write_bytes(REFERENCE.read_bytes())
    save_cassette(path, load_cassette(path))
    assert path.read_bytes() == REFERENCE.read_bytes()


def test_load_errors_name_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("version: 2\ninteractions:\n- request: {url: u, method: GET}\n  response: {code: '1'}\n")
    with pytest.raises(CassetteFormatError) as info:
        load_cassette(path)
    assert str(info.value).startswith(f"{path}:4:")
    assert info.value.path == str(path)
    assert "must be an integer" in str(info.value)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (None, "does not exist"),
        (b"\xff\xfeversion", "not UTF-8"),
        (b"version: [\n", "YAML syntax error"),
    ],
)
def test_unreadable_files(tmp_path: Path, content: bytes | None, fragment: str) -> None:
    path = tmp_path / "c.yaml"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CassetteFormatError, match=fragment) as info:
        load_cassette(path)
    assert info.value.path == str(path)


def test_loads_attaches_path() -> None:
    with pytest.raises(CassetteFormatError) as info:
        parse_cassette("version: 3\ninteractions: []\n", path="x.yaml")
    assert str(info.value) == "x.yaml:1:10: `version` must be the integer 2, found the integer 3"


def test_check_sees_the_cassette_and_its_exact_text_and_can_veto(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    save_cassette(path, _cassette("old"))
    seen: list[tuple[Cassette, str]] = []

    def scanner(cassette: Cassette, text: str) -> None:
        seen.append((cassette, text))
        raise SecretFoundError("secret in body")

    with pytest.raises(SecretFoundError):
        save_cassette(path, _cassette("gsk_fake"), check=scanner)
    assert seen == [(_cassette("gsk_fake"), dump_cassette(_cassette("gsk_fake")))]
    assert load_cassette(path) == _cassette("old")
    assert [p.name for p in tmp_path.iterdir()] == ["c.yaml"]


def test_refuses_to_overwrite_a_file_that_is_not_a_cassette(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("interactions: [oops\n")
    with pytest.raises(CassetteFormatError, match=r"refusing to overwrite.*--record-mode=rewrite") as info:
        save_cassette(path, _cassette())
    assert info.value.path == str(path)
    assert path.read_text() == "interactions: [oops\n"
    save_cassette(path, _cassette(), replace_invalid=True)
    assert load_cassette(path) == _cassette()


def test_refuses_even_when_the_bad_file_appears_after_a_good_save(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    save_cassette(path, _cassette())
    path.write_text("version: 3\ninteractions: []\n# edited by hand\n")
    with pytest.raises(CassetteFormatError, match="refusing to overwrite"):
        save_cassette(path, _cassette("new"))


def _refuse(cassette: Cassette, text: str) -> None:
    raise SecretFoundError("secret in body")


def _broken_update(current: Cassette | None) -> Cassette:
    raise ValueError("update failed")


def _broken_os_call(*args: object) -> None:
    raise OSError(5, "I/O error")


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        ("update", ValueError),
        ("check", SecretFoundError),
        ("fsync", OSError),
        ("replace", OSError),
    ],
)
def test_a_failed_save_leaves_the_previous_file_byte_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: str, error: type[Exception]
) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(REFERENCE.read_bytes())
    path.chmod(0o640)
    update = _broken_update if failure == "update" else (lambda current: _cassette("new"))
    check = _refuse if failure == "check" else None
    if failure in ("fsync", "replace"):
        monkeypatch.setattr(os, failure, _broken_os_call)
    with pytest.raises(error):
        update_cassette(path, update, check=check)
    monkeypatch.undo()
    assert path.read_bytes() == REFERENCE.read_bytes()
    assert path.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml"]


class Appender:
    """An update that appends one interaction with ``body`` and remembers what it was given."""

    def __init__(self, body: str) -> None:
        self.body = body
        self.given: list[Cassette | None] = []

    def __call__(self, current: Cassette | None) -> Cassette:
        self.given.append(current)
        base = current or Cassette()
        return Cassette(interactions=[*base.interactions, *_cassette(self.body).interactions])


def test_update_builds_on_what_the_file_holds_now(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    first, second = Appender("n1"), Appender("n2")
    update_cassette(path, first)
    update_cassette(path, second)
    assert first.given == [None]
    assert [i.response.body for i in load_cassette(path).interactions] == ["n1", "n2"]
    assert [i.id for i in load_cassette(path).interactions] == [0, 1]


def test_update_uses_the_callers_copy_only_while_the_file_is_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    save_cassette(path, _cassette("on disk"))
    stamp = file_stamp(path)
    copy = _cassette("loaded earlier")
    first, second = Appender("one"), Appender("two")
    update_cassette(path, first, known=(stamp, copy))
    assert first.given[0] is copy  # unchanged since `stamp`: not parsed again
    update_cassette(path, second, known=(stamp, copy))
    current = second.given[0]
    assert current is not None
    assert [i.response.body for i in current.interactions] == ["loaded earlier", "one"]


def test_replace_invalid_hands_the_update_nothing(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("interactions: [oops\n")
    with pytest.raises(CassetteFormatError, match="refusing to overwrite"):
        update_cassette(path, Appender("x"))
    assert path.read_text() == "interactions: [oops\n"
    update = Appender("x")
    update_cassette(path, update, replace_invalid=True)
    assert update.given == [None]
    assert load_cassette(path) == _cassette("x")


def test_concurrent_updates_keep_every_interaction(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    start = threading.Barrier(8)

    def add(n: int) -> None:
        start.wait(timeout=30)
        update_cassette(path, Appender(str(n)))

    threads = [threading.Thread(target=add, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(i.response.body for i in load_cassette(path).interactions) == [str(n) for n in range(8)]


def test_write_atomic_writes_bytes_as_given(tmp_path: Path) -> None:
    path = tmp_path / "new" / "latin-1.txt"
    write_atomic(path, "caf\xe9".encode("latin-1"))
    assert path.read_bytes() == b"caf\xe9"
    write_atomic(path, "caf\xe9")
    assert path.read_bytes() == "caf\xe9".encode()


def test_write_atomic_keeps_mode_of_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("x")
    path.chmod(0o640)
    write_atomic(path, "y")
    assert path.read_text() == "y"
    assert path.stat().st_mode & 0o777 == 0o640


def test_concurrent_savers_leave_one_whole_cassette(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    bodies = [f"body {i}\n" * 2000 for i in range(8)]
    threads = [threading.Thread(target=save_cassette, args=(path, _cassette(b))) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert load_cassette(path).interactions[0].response.body in bodies


def test_nothing_is_left_beside_a_saved_cassette(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    save_cassette(path, _cassette("one"))
    update_cassette(path, Appender("two"))
    assert [p.name for p in tmp_path.iterdir()] == ["c.yaml"]
    lock = lock_path(path)
    assert lock.is_file()
    assert tmp_path not in lock.parents
    # One lock per cassette, whatever the spelling of its path; another cassette has another lock.
    assert lock_path(tmp_path / "." / "c.yaml") == lock
    (tmp_path / "link").symlink_to(tmp_path)
    assert lock_path(tmp_path / "link" / "c.yaml") == lock
    assert lock_path(tmp_path / "d.yaml") != lock
    assert lock.parent.stat().st_mode & 0o777 == 0o700


def test_a_name_at_the_file_name_limit_still_saves(tmp_path: Path) -> None:
    limit = os.pathconf(tmp_path, "PC_NAME_MAX")
    path = tmp_path / ("x" * (limit - len(".yaml")) + ".yaml")
    save_cassette(path, _cassette("one"))
    update_cassette(path, Appender("two"))
    assert [i.response.body for i in load_cassette(path).interactions] == ["one", "two"]
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_a_file_in_the_way_of_the_folder_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "cassettes").write_text("not a folder")
    path = tmp_path / "cassettes" / "test_x" / "c.yaml"
    with pytest.raises(CassetteSaveError) as info:
        save_cassette(path, _cassette())
    message = str(info.value)
    assert message == (
        f"cannot save cassette c.yaml: its folder {path.parent} cannot be created: a file is in the way "
        "(Not a directory); move that file away and record again"
    )
    assert isinstance(info.value, OSError)
    assert info.value.errno == errno.ENOTDIR
    assert (tmp_path / "cassettes").read_text() == "not a folder"


def test_a_refused_write_is_one_clear_error_and_the_file_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(REFERENCE.read_bytes())

    def full_disk(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(
        CassetteSaveError,
        match=r"^cannot save cassette c\.yaml: its folder .* is on a full disk "
        r"\(No space left on device\); free some space and record again$",
    ):
        update_cassette(path, Appender("x"))
    monkeypatch.undo()
    assert path.read_bytes() == REFERENCE.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["c.yaml"]


def test_find_cassette_files(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    for name in ["a/x.yaml", "a/y.yml", "a/z.json", "b.yaml", "a/x.yaml.lock", ".hidden/c.yaml", "a/.c.yaml.1.tmp"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    found = find_cassette_files([tmp_path, tmp_path / "b.yaml"])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["a/x.yaml", "a/y.yml", "b.yaml"]
    with pytest.raises(FileNotFoundError, match="missing"):
        find_cassette_files([tmp_path / "missing"])


def test_read_text_is_exact(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(b"a\r\nb")
    assert read_text(path) == "a\r\nb"


_KILLED_MID_SAVE = """
import os, signal, sys
from groq_vcr import Cassette, Interaction, Request, Response, save_cassette

def die(fd):  # the temporary file is written, not yet renamed: the moment a SIGKILL leaves it behind
    os.kill(os.getpid(), signal.SIGKILL)

os.fsync = die
body = "x" * 1_000_000
save_cassette(sys.argv[1], Cassette(interactions=[Interaction(
    request=Request(url="https://api.groq.com/openai/v1/models", method="GET"),
    response=Response(body=body, status="200 OK", code=200))]))
"""


def _temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".groq-vcr-"))


def test_saves_killed_mid_write_leave_at_most_one_temp_file_and_the_next_save_removes_it(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    path = tmp_path / "c.yaml"
    other = tmp_path / "other.yaml"
    save_cassette(path, _cassette("first"))
    for _ in range(3):
        done = subprocess.run([sys.executable, "-c", _KILLED_MID_SAVE, str(path)], check=False, timeout=120)
        assert done.returncode == -signal.SIGKILL
        assert len(_temps(tmp_path)) == 1  # the previous killed save's temp file went when this one began
    assert load_cassette(path).interactions[0].response.body == "first"  # the cassette itself is intact
    subprocess.run([sys.executable, "-c", _KILLED_MID_SAVE, str(other)], check=False, timeout=120)
    assert len(_temps(tmp_path)) == 2  # one per cassette: another cassette's temp file is not touched by ...
    save_cassette(path, _cassette("second"))
    assert len(_temps(tmp_path)) == 1  # ... a save of this one, which removes its own
    assert load_cassette(path).interactions[0].response.body == "second"


def test_an_unlocked_write_removes_only_old_temp_files_of_its_file(tmp_path: Path) -> None:
    path = tmp_path / "v1.yaml"
    from groq_vcr.cassette._storage import temp_prefix

    old = tmp_path / f"{temp_prefix(path)}aaaaaaaaaaaa.tmp"
    fresh = tmp_path / f"{temp_prefix(path)}bbbbbbbbbbbb.tmp"
    old.write_text("killed")
    fresh.write_text("another writer at work")
    os.utime(old, (1, 1))
    write_atomic(path, "version: 1\n")
    assert _temps(tmp_path) == [fresh.name]
