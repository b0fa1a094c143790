#!/usr/bin/env python3
"""Run a command under a fresh pty and script it, for the attach tests.

usage: ptyrun.py [STEP...] -- COMMAND [ARGS...]

Steps run in order:
  expect:TEXT     read the output until TEXT appears (20 s, else fail)
  send:TEXT       type TEXT (backslash escapes: \\r, \\x10 ...)
  sleep:SECS
  winsize:R,C     resize the terminal (the command gets SIGWINCH)
Then the output is read to EOF and printed; the exit code is the command's.
The pty starts at 24x80. After the command exited, a terminal left in raw
mode (no ECHO or ICANON) prints "TERMINAL NOT RESTORED" and exits 99.
"""
import fcntl
import os
import pty
import select
import struct
import sys
import termios
import time

args = sys.argv[1:]
split = args.index("--")
steps, cmd = args[:split], args[split + 1:]


def setsize(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


pid, fd = pty.fork()
if pid == 0:
    setsize(0, 24, 80)
    os.execvp(cmd[0], cmd)

out = b""


def read_some(timeout):
    global out
    r, _, _ = select.select([fd], [], [], timeout)
    if not r:
        return None
    try:
        d = os.read(fd, 4096)
    except OSError:
        d = b""
    out += d
    return d


for step in steps:
    kind, _, val = step.partition(":")
    if kind == "expect":
        end = time.time() + 20
        while val.encode() not in out:
            d = read_some(max(0, end - time.time()))
            if not d:
                sys.stdout.write(out.decode(errors="replace"))
                sys.exit("ptyrun: %s waiting for %r" % ("timeout" if d is None else "EOF", val))
    elif kind == "send":
        os.write(fd, val.encode().decode("unicode_escape").encode("latin1"))
    elif kind == "sleep":
        time.sleep(float(val))
    elif kind == "winsize":
        rows, cols = val.split(",")
        setsize(fd, int(rows), int(cols))
    else:
        sys.exit("ptyrun: unknown step %r" % step)

while read_some(30):
    pass
attrs = termios.tcgetattr(fd)
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
if not (attrs[3] & termios.ECHO and attrs[3] & termios.ICANON):
    print("TERMINAL NOT RESTORED")
    sys.exit(99)
sys.exit(os.waitstatus_to_exitcode(status))
