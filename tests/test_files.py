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
