#!/usr/bin/python3
"""Runs a command on a pseudo-terminal and answers its passphrase prompts.

The real `age` CLI reads a passphrase only from a terminal; this lets a test drive it.
Usage: age_pty.py COMMAND [ARGS...], with the passphrase in $AGE_TEST_PASSPHRASE (never argv).
Exits with the command's exit status; what the command prints on the terminal goes to stderr.
"""
import os
import pty
import sys

passphrase = os.environ["AGE_TEST_PASSPHRASE"].encode() + b"\n"
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])

seen = b""
answered = 0
while True:
    try:
        data = os.read(fd, 4096)
    except OSError:  # EIO: the command closed the terminal
        break
    if not data:
        break
    sys.stderr.buffer.write(data)
    seen += data
    # One answer per prompt ("Enter passphrase...:", "Confirm passphrase:").
    while seen.lower().count(b"passphrase") > answered and seen.rstrip().endswith(b":"):
        os.write(fd, passphrase)
        answered += 1
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
