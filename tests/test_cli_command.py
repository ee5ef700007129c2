"""The ``ansedu`` command as a user runs it: the installed console script (and ``python -m
ansedu``) in a subprocess, on real files in a temporary folder and through real pipes."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ansedu.data import load_text

SCRIPT = shutil.which("ansedu", path=str(Path(sys.executable).parent))
COMMAND = [SCRIPT] if SCRIPT else [sys.executable, "-m", "ansedu"]
FAST = ["--order", "2", "--table-bits", "16"]  # small tables: quick start-up in tests


def run(*args, cwd, stdin=None, check_rc=None):
    proc = subprocess.run(COMMAND + list(args), cwd=cwd, input=stdin, capture_output=True, timeout=120)
    if check_rc is not None:
        assert proc.returncode == check_rc, proc.stderr.decode()
    return proc


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "alice.txt").write_bytes(load_text("alice29")[:3000])
    (tmp_path / "notes.md").write_bytes(b"# Notes\n\n" + b"ANS is a stack.\n" * 40)
    return tmp_path


def test_the_console_script_is_installed():
    assert SCRIPT is not None, "the ansedu console script is not installed next to this Python"


def test_compress_and_decompress_files_with_default_names(folder):
    original = (folder / "alice.txt").read_bytes()
    run("compress", *FAST, "alice.txt", "notes.md", cwd=folder, check_rc=0)
    assert (folder / "alice.txt").read_bytes() == original  # the input is kept
    assert (folder / "alice.txt.ans").stat().st_size < len(original) / 2
    os.rename(folder / "alice.txt", folder / "alice.orig")
    os.rename(folder / "notes.md", folder / "notes.orig")
    run("decompress", "alice.txt.ans", "notes.md.ans", cwd=folder, check_rc=0)
    assert (folder / "alice.txt").read_bytes() == original
    assert (folder / "notes.md").read_bytes() == (folder / "notes.orig").read_bytes()
    assert sorted(p.name for p in folder.iterdir()) == ["alice.orig", "alice.txt", "alice.txt.ans",
                                                        "notes.md", "notes.md.ans", "notes.orig"]


def test_real_pipe_through_python_m_ansedu(folder):
    """cat notes.md | python -m ansedu compress | python -m ansedu decompress > out"""
    with open(folder / "notes.md", "rb") as src, open(folder / "out", "wb") as out:
        comp = subprocess.Popen([sys.executable, "-m", "ansedu", "compress", *FAST], stdin=src,
                                stdout=subprocess.PIPE, cwd=folder)
        decomp = subprocess.Popen([sys.executable, "-m", "ansedu", "decompress", "-"],
                                  stdin=comp.stdout, stdout=out, cwd=folder)
        comp.stdout.close()
        assert decomp.wait(timeout=120) == 0 and comp.wait(timeout=120) == 0
    assert (folder / "out").read_bytes() == (folder / "notes.md").read_bytes()


def test_stdout_and_output_options(folder):
    packed = run("compress", *FAST, "-c", "notes.md", cwd=folder, check_rc=0).stdout
    assert packed[:4] == b"\x89ANS" and not (folder / "notes.md.ans").exists()
    run("compress", *FAST, "-o", "n.bin", "notes.md", cwd=folder, check_rc=0)
    assert (folder / "n.bin").read_bytes() == packed  # deterministic
    # a name without the suffix needs -o to decompress
    proc = run("decompress", "n.bin", cwd=folder, check_rc=2)
    assert b"unknown suffix" in proc.stderr
    run("decompress", "n.bin", "-o", "back.md", cwd=folder, check_rc=0)
    assert (folder / "back.md").read_bytes() == (folder / "notes.md").read_bytes()
    assert run("decompress", "-c", cwd=folder, stdin=packed, check_rc=0).stdout == \
        (folder / "notes.md").read_bytes()


def test_refuses_to_overwrite_without_force(folder):
    (folder / "notes.md.ans").write_bytes(b"precious")
    proc = run("compress", *FAST, "notes.md", cwd=folder, check_rc=1)
    assert b"already exists" in proc.stderr and b"-f" in proc.stderr
    assert (folder / "notes.md.ans").read_bytes() == b"precious"
    run("compress", *FAST, "-f", "notes.md", cwd=folder, check_rc=0)
    assert (folder / "notes.md.ans").read_bytes()[:4] == b"\x89ANS"
    # decompressing onto an existing name refuses the same way
    (folder / "notes.md").write_bytes(b"edited")
    proc = run("decompress", "notes.md.ans", cwd=folder, check_rc=1)
    assert b"already exists" in proc.stderr and (folder / "notes.md").read_bytes() == b"edited"
    run("decompress", "-f", "notes.md.ans", cwd=folder, check_rc=0)
    assert (folder / "notes.md").read_bytes().startswith(b"# Notes")
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_errors_and_warnings_exit_status(folder):
    run("compress", *FAST, "notes.md", cwd=folder, check_rc=0)
    data = bytearray((folder / "notes.md.ans").read_bytes())
    data[-3] ^= 0xFF
    (folder / "bad.ans").write_bytes(bytes(data))
    proc = run("decompress", "bad.ans", cwd=folder, check_rc=1)
    assert b"corrupted" in proc.stderr and not (folder / "bad").exists()
    (folder / "fake.ans").write_bytes(b"PK\x03\x04 a zip file")
    assert b"not an ansedu file" in run("decompress", "fake.ans", cwd=folder, check_rc=1).stderr
    assert b"no such file" in run("compress", "missing.txt", cwd=folder, check_rc=1).stderr
    # a warning (skipped file) and a success: 2; an error anywhere wins: 1
    run("compress", *FAST, "notes.md.ans", "alice.txt", cwd=folder, check_rc=2)
    assert (folder / "alice.txt.ans").exists()
    run("decompress", "alice.txt", "missing.ans", cwd=folder, check_rc=1)
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_info_verbose_and_help(folder):
    proc = run("compress", *FAST, "-v", "alice.txt", cwd=folder, check_rc=0)
    assert b"alice.txt: 3000 -> " in proc.stderr and b"bits/byte" in proc.stderr and b"kB/s" in proc.stderr
    info = run("info", "alice.txt.ans", cwd=folder, check_rc=0).stdout.decode()
    assert "format 3, order 2" in info and "-> 3000 bytes" in info and "bits/byte" in info
    assert b"usage" in run("compress", "--no-such-option", cwd=folder, check_rc=1).stderr
    assert b"usage" in run(cwd=folder, check_rc=1).stderr  # no command
    text = run("compress", "--help", cwd=folder, check_rc=0).stdout.decode()
    for option in ("--stdout", "--output", "--force", "--keep", "--verbose", "--quiet", "--order",
                   "--block-size", "--table-bits"):
        assert option in text


@pytest.mark.parametrize("path", ["--reference", "compiled"])
def test_interrupted_run_leaves_no_partial_file(tmp_path, path):
    # ~10 s of work either way: the pure-Python reference on 150 kB, the compiled path on 16 MB
    # (Ctrl-C reaches it between two kernel calls, every 64 kB)
    text = load_text("lcet10")[:150_000]
    (tmp_path / "big.txt").write_bytes(text if path == "--reference" else text * 110)
    flags = [path] if path == "--reference" else []
    proc = subprocess.Popen(COMMAND + ["compress", *flags, "big.txt"], cwd=tmp_path, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]:  # work has begun
            assert proc.poll() is None and time.monotonic() < deadline, "no temporary file appeared"
            time.sleep(0.05)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        rc = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert rc == 128 + signal.SIGINT, proc.stderr.read().decode()
    assert b"interrupted" in proc.stderr.read()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.txt"]  # no partial .ans, no .tmp


def test_a_reader_that_stops_early_gets_no_error_message(folder):
    # `ansedu compress -c big | head -c 10`: the pipe breaks; like gzip, stop quietly (status 1)
    (folder / "noise.bin").write_bytes(os.urandom(400_000))  # stored: 400 kB of output > a pipe
    proc = subprocess.Popen([sys.executable, "-m", "ansedu", "compress", "-c", "noise.bin"],
                            cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert len(proc.stdout.read(10)) == 10
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 1
    assert err == b"", err
    assert not [p for p in folder.iterdir() if p.name.endswith((".tmp", ".ans"))]  # -c writes no file
