"""openFileDescriptors() / openDescriptorsOn() on the platforms students run: macOS and Windows.

CI is Linux, so the other platforms are simulated: ``sys.platform`` is set for the test,
``/proc/self/fd`` is hidden where macOS has none, and the one call that only exists
there (Windows' handle count, macOS' ``F_GETPATH``) is replaced by a stand-in. What is
checked is the dispatch and the counting around those calls, with real descriptors.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from pipeline_lib import resources
from pipeline_lib.resources import openDescriptorsOn, openFileDescriptors

pytestmark = pytest.mark.skipif(
    not os.path.isdir("/proc/self/fd"), reason="the simulation reads real descriptors on Linux"
)


def _withoutProcFs(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on macOS and the BSDs: no /proc/self/fd, only /dev/fd."""
    realIsdir = os.path.isdir
    monkeypatch.setattr(
        resources.os.path, "isdir", lambda path: path != "/proc/self/fd" and realIsdir(path)
    )


def test_macos_counts_descriptors_through_dev_fd(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    _withoutProcFs(monkeypatch)
    listed: list[str] = []
    realListdir = os.listdir
    monkeypatch.setattr(
        resources.os, "listdir", lambda path: listed.append(path) or realListdir(path)
    )
    before = openFileDescriptors()
    with open(tmp_path / "data.txt", "w"):
        assert openFileDescriptors() - before == 1
    assert openFileDescriptors() - before == 0
    assert set(listed) == {"/dev/fd"}


def test_a_platform_without_proc_or_dev_fd_gets_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "platform", "sunos5")
    monkeypatch.setattr(resources.os.path, "isdir", lambda path: False)
    with pytest.raises(OSError, match=r"neither /proc/self/fd nor /dev/fd"):
        openFileDescriptors()


def test_windows_asks_for_the_process_handle_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(resources, "_windowsHandleCount", lambda: 123)
    assert openFileDescriptors() == 123


def test_windows_cannot_name_a_handles_file_so_descriptors_on_a_path_are_unknown(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    _withoutProcFs(monkeypatch)
    assert openDescriptorsOn(tmp_path) is None


def test_macos_names_each_descriptors_file_to_count_those_below_a_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    asked: list[int] = []

    def fakeGetPath(fd: int) -> str:  # what fcntl(F_GETPATH) answers on a Mac
        asked.append(fd)
        try:
            return os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            return ""

    monkeypatch.setattr(resources, "_darwinPath", fakeGetPath)
    assert openDescriptorsOn(tmp_path) == 0
    with open(tmp_path / "a.txt", "w") as first, open(tmp_path / "b.txt", "w"):
        assert openDescriptorsOn(tmp_path) == 2
        assert openDescriptorsOn(first.name) == 1
    assert openDescriptorsOn(tmp_path) == 0
    assert asked, "the macOS branch did not ask F_GETPATH"
