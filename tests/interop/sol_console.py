#!/usr/bin/python3
"""tests/interop/sol_console.py — drive an interactive console program (e.g. `ipmitool -I lanplus
... sol activate`) through a pseudo-terminal, step by step, every wait bounded in time.

Usage:
  sol_console.py [OPTIONS] STEP... -- COMMAND [ARG...]
  sol_console.py [OPTIONS] --script FILE.json -- COMMAND [ARG...]    (FILE "-" = standard input)

COMMAND runs in a new pty (its stdin, stdout and stderr; it is a session leader with the pty as
its controlling terminal, as under a terminal emulator). The steps run in order; the first one
that fails ends the run.

Steps on the command line: a verb and its fixed number of arguments; a verb may carry its own
time limit as a suffix, VERB:SECONDS (e.g. expect:30 REGEX, expect-exit:5 0).
  expect REGEX      wait until the output after the previous match matches REGEX (Python re,
                    searched in the output decoded as Latin-1, so one character = one byte;
                    re.MULTILINE); the next expect starts after this match. `$` also
                    matches at the end of what has arrived so far: to match a whole line,
                    end the pattern with \r*\n instead
  reject REGEX      fail if the output so far (all of it) matches REGEX; does not wait
  quiet SECONDS     wait SECONDS; fail if any output arrives meanwhile
  send TEXT         type TEXT and Enter: TEXT's escapes (\\r \\n \\t \\\\ \\xHH \\e) decoded, then "\\r"
  sendraw TEXT      TEXT with its escapes decoded, nothing added
  escape            "\\r~." (ipmitool's escape: ~ counts only right after CR or LF; ~. ends SOL)
  sleep SECONDS     wait, reading output
  run SHELLCMD      run /bin/sh -c SHELLCMD (stdin /dev/null) while the console stays up; fail
                    unless it exits 0 within the time limit (then it is killed by PID)
  timeout SECONDS   the time limit of the following steps that have none of their own
  expect-exit CODE  wait until COMMAND exits, reading its output; fail unless its exit status is
                    CODE (a number, "nonzero", or "any"; a death by signal N counts as -N)
  expect-eof        wait until the pty reports end of output (the program closed it / exited)
JSON script: a list of steps, each a list [VERB, ARG..., optional time limit in seconds], e.g.
  [["expect", "SOL Session operational"], ["send", "hello"], ["expect", "ECHO:HELLO", 5],
   ["escape"], ["expect-exit", 0, 10]]

Options:
  --timeout SECONDS   default time limit of a step (10)
  --total SECONDS     limit for the whole run, steps and cleanup included (120)
  --log FILE          write everything COMMAND printed, raw bytes, to FILE
  --verbose           show the output (control characters visible) as it arrives, on stderr
  --rows N --cols N   the pty's window size (24 x 80)
  --term NAME         TERM for COMMAND (default: dumb)
  --raw               put the pty in raw mode before COMMAND starts (no echo, no CR→LF mapping,
                      no line editing). ipmitool sol activate prints "[SOL Session operational…]"
                      before it makes the terminal raw, so a line sent right after that message
                      may otherwise reach the BMC with its CR turned into LF (seen live)

Each step prints one line "ok  STEP (t=… s)" on stdout. On a failure it prints "FAIL STEP: why",
then the last 2 KiB of output with control characters made visible (\\r, \\n, \\e, \\xHH), and
exits 1. At the end COMMAND, if still running, gets SIGTERM, then SIGKILL after 2 s (by its PID).
Exit: 0 every step passed, 1 a step failed, 2 usage (also: COMMAND cannot be started).
Python 3 standard library only.
"""

import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
import tty

DEFAULT_TIMEOUT = 10.0
DEFAULT_TOTAL = 120.0
TAIL_BYTES = 2048
KILL_GRACE = 2.0  # seconds between SIGTERM and SIGKILL
ESCAPE_SEQUENCE = b"\r~."  # ipmitool sol activate: "~." after CR/LF terminates (sol.md §4.8)

# verb -> number of arguments
VERBS = {
    "expect": 1, "reject": 1, "quiet": 1, "send": 1, "sendraw": 1, "escape": 0, "sleep": 1,
    "run": 1, "timeout": 1, "expect-exit": 1, "expect-eof": 0,
}


class Usage(Exception):
    pass


class StepFailed(Exception):
    pass


def visible(data: bytes) -> str:
    """Bytes as text with control characters spelled out; a real newline follows each \\n."""
    out = []
    for b in data:
        if b == 0x0A:
            out.append("\\n\n")
        elif b == 0x0D:
            out.append("\\r")
        elif b == 0x09:
            out.append("\\t")
        elif b == 0x1B:
            out.append("\\e")
        elif b == 0x5C:
            out.append("\\\\")
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        else:
            out.append("\\x%02x" % b)
    return "".join(out)


def decode_text(text: str) -> bytes:
    """TEXT with \\r \\n \\t \\e \\\\ \\xHH decoded; other characters as UTF-8."""
    out = bytearray()
    i = 0
    while i < len(text):
        c = text[i]
        if c != "\\":
            out += c.encode("utf-8")
            i += 1
            continue
        if i + 1 >= len(text):
            raise Usage("text ends in a backslash: %r" % text)
        e = text[i + 1]
        simple = {"r": b"\r", "n": b"\n", "t": b"\t", "e": b"\x1b", "\\": b"\\", "0": b"\x00"}
        if e in simple:
            out += simple[e]
            i += 2
        elif e == "x" and re.fullmatch(r"[0-9a-fA-F]{2}", text[i + 2:i + 4]):
            out.append(int(text[i + 2:i + 4], 16))
            i += 4
        else:
            raise Usage("unknown escape \\%s in %r" % (e, text))
    return bytes(out)


def parse_seconds(s, what):
    try:
        v = float(s)
    except (TypeError, ValueError):
        raise Usage("%s: not a number of seconds: %r" % (what, s))
    if not v >= 0 or v > 3600:
        raise Usage("%s: seconds out of range: %r" % (what, s))
    return v


def check_step(verb, args, limit):
    """Validates one step; returns (verb, args, limit or None)."""
    if verb not in VERBS:
        raise Usage("unknown step %r (steps: %s)" % (verb, ", ".join(sorted(VERBS))))
    if len(args) != VERBS[verb]:
        raise Usage("step %s takes %d argument(s), got %d" % (verb, VERBS[verb], len(args)))
    args = [str(a) if not isinstance(a, str) else a for a in args]
    if verb in ("expect", "reject"):
        try:
            re.compile(args[0])
        except re.error as e:
            raise Usage("step %s: bad regular expression %r: %s" % (verb, args[0], e))
    if verb in ("sleep", "timeout", "quiet"):
        parse_seconds(args[0], verb)
    if verb in ("send", "sendraw"):
        decode_text(args[0])
    if verb == "expect-exit" and args[0] not in ("any", "nonzero"):
        try:
            int(args[0])
        except ValueError:
            raise Usage("expect-exit: CODE must be a number, nonzero or any: %r" % args[0])
    return (verb, args, limit)


def steps_from_argv(words):
    steps = []
    i = 0
    while i < len(words):
        word = words[i]
        verb, _, suffix = word.partition(":")
        limit = parse_seconds(suffix, word) if suffix else None
        if verb not in VERBS:
            raise Usage("unknown step %r (steps: %s)" % (word, ", ".join(sorted(VERBS))))
        n = VERBS[verb]
        if i + 1 + n > len(words):
            raise Usage("step %s needs %d argument(s)" % (verb, n))
        steps.append(check_step(verb, words[i + 1:i + 1 + n], limit))
        i += 1 + n
    return steps


def steps_from_json(text):
    try:
        data = json.loads(text)
    except ValueError as e:
        raise Usage("script: not JSON: %s" % e)
    if not isinstance(data, list):
        raise Usage("script: a JSON list of steps expected")
    steps = []
    for item in data:
        if not isinstance(item, list) or not item or not isinstance(item[0], str):
            raise Usage("script: each step is a list [VERB, ARG..., optional seconds]: %r" % (item,))
        verb = item[0]
        if verb not in VERBS:
            raise Usage("script: unknown step %r" % verb)
        n = VERBS[verb]
        args = item[1:1 + n]
        rest = item[1 + n:]
        if len(rest) > 1:
            raise Usage("script: too many values in %r" % (item,))
        limit = parse_seconds(rest[0], verb) if rest else None
        steps.append(check_step(verb, args, limit))
    return steps


def describe(step):
    verb, args, limit = step
    text = verb + (":%g" % limit if limit is not None else "")
    for a in args:
        text += " " + ("'%s'" % a if (" " in a or not a) else a)
    return text


class Console:
    def __init__(self, argv, rows, cols, term, log_path, verbose, raw):
        self.output = bytearray()
        self.cursor = 0  # where the next expect starts searching
        self.eof = False
        self.status = None  # os.waitpid status once reaped
        self.verbose = verbose
        self.log = open(log_path, "wb") if log_path else None
        # Fails here (not in the child) when the program does not exist.
        exe = argv[0]
        if os.sep in exe:
            if not (os.path.isfile(exe) and os.access(exe, os.X_OK)):
                raise Usage("not an executable file: %s" % exe)
        else:
            found = None
            for d in os.environ.get("PATH", "/usr/bin:/bin").split(os.pathsep):
                p = os.path.join(d or ".", exe)
                if os.path.isfile(p) and os.access(p, os.X_OK):
                    found = p
                    break
            if not found:
                raise Usage("command not found: %s" % exe)
        env = dict(os.environ)
        env["TERM"] = term
        pid, fd = pty.fork()
        if pid == 0:  # child: the pty is its controlling terminal and stdio
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
                if raw:
                    tty.setraw(0)
                os.execvpe(exe, argv, env)
            except BaseException as e:  # noqa: BLE001 — report and leave without cleanup
                os.write(2, ("sol_console.py: exec %s: %s\n" % (exe, e)).encode())
            os._exit(127)
        self.pid = pid
        self.fd = fd
        self.started = time.monotonic()

    def elapsed(self):
        return time.monotonic() - self.started

    def pump(self, until):
        """Reads what is available until the monotonic time `until` (or EOF). Returns True when
        something was read."""
        got = False
        while not self.eof:
            left = until - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([self.fd], [], [], min(left, 0.05))
            if not r:
                self.reap()
                continue
            try:
                data = os.read(self.fd, 4096)
            except OSError:  # EIO: every slave descriptor closed
                data = b""
            if not data:
                self.eof = True
                break
            got = True
            self.output += data
            if self.log:
                self.log.write(data)
                self.log.flush()
            if self.verbose:
                sys.stderr.write(visible(data))
                sys.stderr.flush()
            # One read at a time: expect can stop as soon as its pattern is there.
            break
        return got

    def reap(self):
        if self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid == self.pid:
                self.status = status
        return self.status

    def exit_code(self):
        return os.waitstatus_to_exitcode(self.status) if self.status is not None else None

    def write(self, data, until):
        view = memoryview(data)
        while view:
            if time.monotonic() >= until:
                raise StepFailed("could not write within the time limit (%d bytes left)" % len(view))
            _, w, _ = select.select([], [self.fd], [], 0.05)
            if w:
                try:
                    n = os.write(self.fd, view)
                except OSError as e:
                    raise StepFailed("write to the pty: %s" % e)
                view = view[n:]

    def stop(self):
        """SIGTERM, SIGKILL after KILL_GRACE, by PID; returns how it ended."""
        if self.reap() is not None:
            return "exited %s" % self.exit_code()
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        end = time.monotonic() + KILL_GRACE
        while time.monotonic() < end:
            if self.reap() is not None:
                return "stopped by SIGTERM (status %s)" % self.exit_code()
            self.pump(time.monotonic() + 0.05)
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _, self.status = os.waitpid(self.pid, 0)
        return "needed SIGKILL (status %s)" % self.exit_code()

    def close(self):
        try:
            os.close(self.fd)
        except OSError:
            pass
        if self.log:
            self.log.close()


def run_shell(cmd, limit):
    """Runs /bin/sh -c CMD with a time limit; kills it by PID (TERM, then KILL) when over."""
    p = subprocess.Popen(["/bin/sh", "-c", cmd], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        out, _ = p.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        p.terminate()
        try:
            out, _ = p.communicate(timeout=KILL_GRACE)
        except subprocess.TimeoutExpired:
            p.kill()
            out, _ = p.communicate()
        raise StepFailed("still running after %g s (killed); its output: %s"
                         % (limit, visible(out[-TAIL_BYTES:]).rstrip()))
    return p.returncode, out


def run_step(con, step, limit, total_end):
    verb, args, _ = step
    end = min(time.monotonic() + limit, total_end)
    if verb == "expect":
        pattern = re.compile(args[0].encode("latin-1", "replace").decode("latin-1"), re.MULTILINE)
        while True:
            text = con.output[con.cursor:].decode("latin-1")
            m = pattern.search(text)
            if m:
                con.cursor += m.end()
                return "matched %r" % m.group(0)[:60]
            if con.eof:
                raise StepFailed("no match for /%s/ before the end of output (%s)"
                                 % (args[0], status_text(con)))
            if time.monotonic() >= end:
                raise StepFailed("no match for /%s/ within %g s" % (args[0], limit))
            con.pump(end)
    if verb == "reject":
        m = re.search(args[0], con.output.decode("latin-1"), re.MULTILINE)
        if m:
            raise StepFailed("the output matches /%s/: %r" % (args[0], m.group(0)))
        return ""
    if verb == "quiet":
        secs = parse_seconds(args[0], verb)
        before = len(con.output)
        quiet_end = min(time.monotonic() + secs, total_end)
        while time.monotonic() < quiet_end and not con.eof:
            con.pump(quiet_end)
        if len(con.output) != before:
            raise StepFailed("%d bytes arrived: %s" % (len(con.output) - before,
                                                     visible(bytes(con.output[before:before + 200]))))
        return ""
    if verb in ("send", "sendraw", "escape"):
        if verb == "escape":
            data = ESCAPE_SEQUENCE
        else:
            data = decode_text(args[0]) + (b"\r" if verb == "send" else b"")
        con.write(data, end)
        return "%d bytes" % len(data)
    if verb == "sleep":
        sleep_end = min(time.monotonic() + parse_seconds(args[0], verb), total_end)
        while time.monotonic() < sleep_end:
            if con.eof:
                time.sleep(min(0.05, max(0.0, sleep_end - time.monotonic())))
            else:
                con.pump(sleep_end)
        return ""
    if verb == "run":
        rc, out = run_shell(args[0], max(0.0, end - time.monotonic()))
        shown = visible(out[-400:]).replace("\n", "").strip()
        if rc != 0:
            raise StepFailed("exit status %d; its output: %s" % (rc, shown))
        return "exit 0" + (": " + shown if shown else "")
    if verb == "expect-eof":
        while not con.eof:
            if time.monotonic() >= end:
                raise StepFailed("output still open after %g s" % limit)
            con.pump(end)
        return ""
    if verb == "expect-exit":
        while con.reap() is None:
            if time.monotonic() >= end:
                raise StepFailed("still running after %g s" % limit)
            if con.eof:
                time.sleep(0.02)
            else:
                con.pump(min(end, time.monotonic() + 0.1))
        # What it printed last: read until EOF, briefly.
        drain_end = min(time.monotonic() + 0.5, total_end)
        while not con.eof and time.monotonic() < drain_end:
            con.pump(drain_end)
        code = con.exit_code()
        want = args[0]
        ok = want == "any" or (want == "nonzero" and code != 0) or \
            (want not in ("any", "nonzero") and code == int(want))
        if not ok:
            raise StepFailed("exit status %s, expected %s" % (code, want))
        return "exit status %s" % code
    raise AssertionError(verb)


def status_text(con):
    if con.reap() is None:
        return "still running"
    return "exit status %s" % con.exit_code()


def parse_argv(argv):
    opts = {"timeout": DEFAULT_TIMEOUT, "total": DEFAULT_TOTAL, "log": None, "verbose": False,
            "rows": 24, "cols": 80, "term": "dumb", "script": None, "raw": False}
    if "--" not in argv:
        raise Usage("no command: STEP... -- COMMAND [ARG...]")
    cut = argv.index("--")
    before, command = argv[:cut], argv[cut + 1:]
    if not command:
        raise Usage("no command after --")
    words = []
    i = 0
    while i < len(before):
        a = before[i]
        if a in ("-h", "--help"):
            print(__doc__)
            sys.exit(0)
        if a in ("--verbose", "--raw"):
            opts[a[2:]] = True
            i += 1
            continue
        if a in ("--timeout", "--total", "--log", "--rows", "--cols", "--term", "--script"):
            if i + 1 >= len(before):
                raise Usage("%s needs a value" % a)
            v = before[i + 1]
            key = a[2:]
            if key in ("timeout", "total"):
                opts[key] = parse_seconds(v, a)
            elif key in ("rows", "cols"):
                if not v.isdigit() or not 0 < int(v) < 10000:
                    raise Usage("%s: a positive number expected" % a)
                opts[key] = int(v)
            else:
                opts[key] = v
            i += 2
            continue
        if a.startswith("--"):
            raise Usage("unknown option %s" % a)
        words = before[i:]
        break
    if opts["script"] is not None:
        if words:
            raise Usage("steps come either from --script or from the command line")
        if opts["script"] == "-":
            text = sys.stdin.read()
        else:
            try:
                with open(opts["script"], encoding="utf-8") as f:
                    text = f.read()
            except OSError as e:
                raise Usage("--script: %s" % e)
        steps = steps_from_json(text)
    else:
        steps = steps_from_argv(words)
    if not steps:
        raise Usage("no steps")
    return opts, steps, command


def main(argv):
    try:
        opts, steps, command = parse_argv(argv)
    except Usage as e:
        print("sol_console.py: usage: %s (see --help)" % e, file=sys.stderr)
        return 2
    # The command gets the pty's signals, not ours; a Ctrl-C here still kills it in `finally`.
    total_end = time.monotonic() + opts["total"]
    try:
        con = Console(command, opts["rows"], opts["cols"], opts["term"], opts["log"], opts["verbose"],
                      opts["raw"])
    except (Usage, OSError) as e:
        print("sol_console.py: cannot start %s: %s" % (command[0], e), file=sys.stderr)
        return 2
    default_limit = opts["timeout"]
    failed = None
    try:
        for step in steps:
            verb, args, limit = step
            if verb == "timeout":
                default_limit = parse_seconds(args[0], "timeout")
                continue
            limit = default_limit if limit is None else limit
            if time.monotonic() >= total_end:
                failed = (step, "the whole run's limit (--total %g s) is used up" % opts["total"])
                break
            try:
                note = run_step(con, step, limit, total_end)
            except StepFailed as e:
                failed = (step, str(e))
                break
            print("ok   %s (t=%.2f s)%s" % (describe(step), con.elapsed(), (": " + note) if note else ""),
                  flush=True)
    finally:
        how = con.stop()
        con.close()
    if failed:
        step, why = failed
        print("FAIL %s (t=%.2f s): %s" % (describe(step), con.elapsed(), why), flush=True)
        print("---- command: %s; %s ----" % (" ".join(command), how))
        tail = bytes(con.output[-TAIL_BYTES:])
        print("---- last %d of %d bytes of its output%s ----" % (len(tail), len(con.output),
              " (expect searched from byte %d)" % con.cursor if con.cursor else ""))
        print(visible(tail) if tail else "(no output)")
        print("---- end of output ----", flush=True)
        return 1
    print("ok   all %d steps (t=%.2f s; command %s)" % (len(steps), con.elapsed(), how), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
