"""The GIL is released while Rust works: checked by behaviour (a deadlock otherwise), not by timing.

A reader thread calls `phrkit.read` on a FIFO. The Rust reader blocks in open()/read() until the main
thread opens the FIFO and writes to it — Python code that can only run if the reader thread released the
GIL. If it held the GIL, the child process would hang and the parent's timeout fails the test.
"""

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

import phrkit

CHILD = textwrap.dedent(
    """
    import array, fcntl, os, sys, termios, threading, time
    import phrkit

    fifo, data = sys.argv[1], open(sys.argv[2], "rb").read()
    result = {}

    def reader():
        result["ds"] = phrkit.read(fifo, format="ndjson")

    def drained(fd):
        # Bytes still unread in the pipe (FIONREAD works on either end of a Linux pipe).
        n = array.array("i", [0])
        fcntl.ioctl(fd, termios.FIONREAD, n)
        return n[0] == 0

    t = threading.Thread(target=reader)
    t.start()
    # The core reads a 4 KiB head, then reopens the path: feed the head (blank lines, which NDJSON
    # ignores), wait until it is consumed, then the records, and close only once those are consumed too
    # (so the reopen found a writer). Every step here needs the GIL while the reader sits in Rust.
    w = os.open(fifo, os.O_WRONLY)
    os.write(w, b"\\n" * 4096)
    while not drained(w):
        time.sleep(0.001)
    os.write(w, data)
    while not drained(w):
        time.sleep(0.001)
    os.close(w)
    t.join()
    print(len(result["ds"]))
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs Linux FIFOs (FIONREAD)")
def test_read_releases_the_gil_while_blocked_in_io(tmp_path: Path, data_dir: Path) -> None:
    fifo = tmp_path / "in.ndjson"
    os.mkfifo(fifo)
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(fifo), str(data_dir / "lifelog.ndjson")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "6"


def test_threads_share_datasets_and_read_concurrently(lifelog: phrkit.Dataset) -> None:
    text = lifelog.to_ndjson()
    results: list[phrkit.Dataset] = []
    barrier = threading.Barrier(4)

    def work() -> None:
        barrier.wait()
        for _ in range(20):
            ds = phrkit.from_fhir(text)
            ds.to_fhir()
            ds.table()
        results.append(ds)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4 and all(r == lifelog for r in results)


KEY_CHILD = textwrap.dedent(
    """
    import os, sys, threading
    import phrkit

    fifo = sys.argv[1]
    result = {}

    def load():
        result["key"] = phrkit.PseudonymKey.from_file(fifo)

    t = threading.Thread(target=load)
    t.start()
    # The Rust side blocks in open() of the FIFO until this thread (which needs the GIL) opens it.
    w = os.open(fifo, os.O_WRONLY)
    os.write(w, b"0123456789abcdef" * 4)
    os.close(w)
    t.join()
    print(len(result["key"].key_id))
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs Linux FIFOs")
def test_key_loading_releases_the_gil_while_blocked_in_io(tmp_path: Path) -> None:
    fifo = tmp_path / "pseudonym.key"
    os.mkfifo(fifo)
    proc = subprocess.run([sys.executable, "-c", KEY_CHILD, str(fifo)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "16"


def test_policy_calls_run_in_threads_concurrently() -> None:
    key = phrkit.PseudonymKey.generate()
    lifelog = phrkit.read(Path(__file__).parent / "data" / "lifelog.ndjson")
    outputs: list[str] = []
    barrier = threading.Barrier(4)

    def work() -> None:
        barrier.wait()
        for _ in range(10):
            pseudo, _ = lifelog.pseudonymise(key)
            lifelog.anonymise(k=1)
        outputs.append(pseudo.to_ndjson())

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Same key, same input: every thread got the same pseudonymised text.
    assert len(outputs) == 4 and len(set(outputs)) == 1
