"""Atomic writes: the real name holds the old content or the whole new one, never a part."""
import pytest

from ccsim.files import atomic_path, write_text_atomic


def test_write_replaces_the_file_whole(tmp_path):
    path = tmp_path / "sub" / "out.txt"
    write_text_atomic(path, lambda h: h.write("first"))
    write_text_atomic(path, lambda h: h.write("second"))
    assert path.read_text() == "second"
    assert [p.name for p in path.parent.iterdir()] == ["out.txt"]


def test_failure_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("old")

    def fail(handle):
        handle.write("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_text_atomic(path, fail)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
    with pytest.raises(ValueError):
        with atomic_path(tmp_path / "new.bin") as tmp:
            open(tmp, "wb").write(b"x")
            raise ValueError("stop")
    assert not (tmp_path / "new.bin").exists()


def test_no_replace_refuses_an_existing_file(tmp_path):
    path = tmp_path / "store.db"
    with atomic_path(path, replace=False) as tmp:
        open(tmp, "wb").write(b"first")
    with pytest.raises(FileExistsError):
        with atomic_path(path, replace=False) as tmp:
            open(tmp, "wb").write(b"second")
    assert path.read_bytes() == b"first"
    assert [p.name for p in tmp_path.iterdir()] == ["store.db"]


def test_files_get_the_umask_permissions(tmp_path):
    import os
    import stat

    old = os.umask(0o027)
    try:
        write_text_atomic(tmp_path / "a.txt", lambda h: h.write("x"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "a.txt").st_mode) == 0o640


@pytest.mark.parametrize("code, advice", [(30, "make the folder writable"), (28, "free some disk space")])
def test_a_failed_write_is_a_user_error_naming_the_file(tmp_path, monkeypatch, code, advice):
    """A read-only file system or a full disk under write_text_atomic (ccsim fit -o, state -o,
    workforce --html) was an internal OSError (exit 70); it is a WriteError: a UserError (exit 2)
    and still an OSError, naming the file and what to do."""
    import errno
    import os

    from ccsim import files
    from ccsim.errors import UserError

    assert code in (errno.EROFS, errno.ENOSPC)

    def refuse(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(files.tempfile, "mkstemp", refuse)
    with pytest.raises(files.WriteError) as caught:
        write_text_atomic(tmp_path / "out.yaml", lambda h: h.write("x"))
    assert isinstance(caught.value, UserError) and isinstance(caught.value, OSError)
    reason = os.strerror(code)[0].lower() + os.strerror(code)[1:]  # as the store's messages (files.os_reason)
    assert str(caught.value).startswith(f"cannot write {tmp_path / 'out.yaml'}: {reason}; {advice}")
    assert list(tmp_path.iterdir()) == []
