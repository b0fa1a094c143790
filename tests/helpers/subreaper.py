#!/usr/bin/env python3
"""Run commands as a child subreaper that does not reap, for repair tests.

usage: subreaper.py CMD1 ;; CMD2 ...   (each CMD is run with sh -c, in order)

This process marks itself a child subreaper (PR_SET_CHILD_SUBREAPER), so
orphans of the commands' descendants (a container's init whose monitor was
killed) become its children; it reaps only the commands themselves until the
last one ran, so such an orphan that exits stays a zombie meanwhile. Then it
reaps everything and exits with the last command's status.
"""
import ctypes
import os
import subprocess
import sys

PR_SET_CHILD_SUBREAPER = 36
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
    sys.exit("subreaper.py: prctl: errno %d" % ctypes.get_errno())
cmds = " ".join(sys.argv[1:]).split(" ;; ")
rc = 0
for c in cmds:
    rc = subprocess.run(["sh", "-c", c]).returncode  # waits for this pid only
while True:
    try:
        os.waitpid(-1, 0)
    except ChildProcessError:
        break
sys.exit(rc)
