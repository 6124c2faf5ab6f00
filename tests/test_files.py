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
