#!/usr/bin/env python3
"""selfcheck.py - control experiment for lazyfs.py: does it lose exactly what SQLite says it may?

Usage: python3 selfcheck.py [ROWS]      (root, /dev/fuse, fusepy and libfuse2 needed; default 2000)

For each scenario a fresh lazyfs is mounted over a temp backing dir, and a writer child process
commits ROWS one-row transactions to a WAL-mode database on the mount, reporting each id once its
COMMIT has returned (acknowledged).  Then power is cut, and the backing database is opened
directly (no FUSE) to count acknowledged rows that are gone.

  open cut    the writer still holds the database open (as a server would); lazyfs gets SIGTERM,
              then the writer is killed.
  umount cut  the writer closes the database cleanly and exits; then `umount MOUNTPOINT`.

Expected: synchronous=FULL loses nothing either way; OFF loses rows (nothing is ever fsynced);
NORMAL loses the commits since the last checkpoint when cut while open, so it is reported but not
judged (it can be 0 if the last commit happened to trigger a checkpoint).  integrity_check must
say ok everywhere.  Prints one JSON line; exit 0 only if all of that holds.
"""
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
LAZYFS = os.path.join(HERE, "lazyfs.py")


def writer(db, mode, rows, close):
    """Child process: commit rows, print each acknowledged id, then hold or close the database."""
    con = sqlite3.connect(db, isolation_level=None)
    assert con.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
    # The schema is made durable first, so a loss shows as missing rows rather than a missing table.
    con.execute("PRAGMA synchronous=FULL")
    con.execute("CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
    con.execute("PRAGMA synchronous=%s" % mode)
    for i in range(1, rows + 1):
        con.execute("BEGIN")
        con.execute("INSERT INTO t VALUES (?, ?)", (i, "row %d " % i + "x" * 80))
        con.execute("COMMIT")
        print(i, flush=True)
    if close:
        con.close()
        print("closed", flush=True)
    else:
        print("holding", flush=True)
        sys.stdin.read()  # keep the database open until the parent cuts the power and kills us


def mounted(mnt):
    with open("/proc/mounts") as f:
        return any(line.split()[1] == mnt for line in f)


def scenario(mode, cut, rows):
    tmp = tempfile.mkdtemp(prefix="lazyfs-selfcheck-")
    try:
        return run(tmp, mode, cut, rows)
    finally:  # never leave a mount or a daemon behind, even when a check failed
        if mounted(os.path.join(tmp, "mnt")):
            subprocess.run(["umount", "-l", os.path.join(tmp, "mnt")])
        shutil.rmtree(tmp, ignore_errors=True)


def run(tmp, mode, cut, rows):
    backing, mnt = os.path.join(tmp, "backing"), os.path.join(tmp, "mnt")
    os.mkdir(backing)
    os.mkdir(mnt)
    fs = subprocess.Popen([sys.executable, LAZYFS, backing, mnt], stderr=subprocess.PIPE, text=True)
    err_lines = []
    reader = threading.Thread(target=lambda: err_lines.extend(fs.stderr), daemon=True)
    reader.start()
    deadline = time.time() + 15
    while not ("lazyfs: mounted\n" in err_lines and mounted(mnt)):
        if fs.poll() is not None or time.time() > deadline:
            raise SystemExit("lazyfs did not mount: %s" % "".join(err_lines))
        time.sleep(0.05)

    t0 = time.time()
    w = subprocess.Popen([sys.executable, __file__, "--writer", os.path.join(mnt, "db.sqlite"),
                          mode, str(rows), cut], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True)
    acked = []
    for line in w.stdout:
        if line.strip() in ("holding", "closed"):
            break
        acked.append(int(line))
    write_s = time.time() - t0

    if cut == "open":
        fs.send_signal(signal.SIGTERM)
        fs.wait(timeout=15)
        w.kill()
        w.wait()
    else:
        w.wait(timeout=30)
        subprocess.run(["umount", mnt], check=True)
        fs.wait(timeout=15)
    reader.join(timeout=5)
    assert not mounted(mnt), "still mounted after the cut"
    m = re.search(r"lazyfs: discarded (\d+) unsynced bytes in (\d+) files", "".join(err_lines))
    assert m and fs.returncode == 0, "lazyfs exit %s: %s" % (fs.returncode, "".join(err_lines))

    con = sqlite3.connect(os.path.join(backing, "db.sqlite"))  # the disk after the reboot
    integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
    try:
        present = {r[0] for r in con.execute("SELECT id FROM t")}
    except sqlite3.OperationalError:  # table gone too
        present = set()
    con.close()
    lost = [i for i in acked if i not in present]
    return {
        "acknowledged": len(acked), "lost": len(lost), "integrity": integrity,
        # Did the survivors form a prefix of the acknowledged sequence?
        "prefix": present == set(acked[: len(acked) - len(lost)]),
        "discarded_bytes": int(m.group(1)), "discarded_files": int(m.group(2)),
        "write_s": round(write_s, 2),
    }


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--writer":
        _, _, db, mode, rows, cut = sys.argv
        return writer(db, mode, int(rows), cut == "umount")
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    t0 = time.time()
    runs = {}
    for mode, cut in (("OFF", "open"), ("NORMAL", "open"), ("FULL", "open"),
                      ("OFF", "umount"), ("FULL", "umount")):
        runs["%s_%s" % (mode.lower(), cut)] = scenario(mode, cut, rows)
    out = {
        "off_lost": runs["off_open"]["lost"],
        "normal_lost": runs["normal_open"]["lost"],
        "full_lost": runs["full_open"]["lost"] + runs["full_umount"]["lost"],
        "acknowledged": rows,
        "seconds": round(time.time() - t0, 1),
        "runs": runs,
    }
    ok = (out["off_lost"] > 0 and out["full_lost"] == 0
          and all(r["integrity"] == "ok" and r["acknowledged"] == rows for r in runs.values()))
    out["ok"] = ok
    print(json.dumps(out))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
