#!/usr/bin/env bash
# Scenario: `run` is interactive, driven by the real ssh client.
#   - stdin piped to `run -- cat` comes back byte for byte (binary, more than
#     an SSH window), and the client's EOF ends cat (exit 0);
#   - output streams as bytes: a prompt without a newline reaches the client
#     before it answers;
#   - `ssh -tt ... run APP -- sh` (the client on a pseudo-terminal of
#     python's pty module) gets a terminal: typed input is answered, TERM and
#     the client's size (40x100) reach the container, a resize (50x132)
#     reaches it too, and `exit 7` is ssh's exit status;
#   - `ssh -tt ... apps:list` still works (the terminal is ignored);
#   - killing the ssh client removes the one-off container;
#   - the gateway log records who ran which program and its exit code, never
#     its arguments.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_release.sh"

start_gateway
new_app app runi
make_app_repo "$app" perl-release
push_ts "$REPO"
expect_push_ok
expect_live "$PUSH_OUT" production >/dev/null

# shellcheck disable=SC2207  # the ssh command line is words, as in lib.sh
SSH=($(ssh_cmd_for "$CLIENT_KEY") -p "$GW_PORT")
one_offs() { pod ps -a --format '{{.Names}}' | grep -c -- "^$app-production-v[0-9]*-run-" || true; }

# The client on a terminal: python's pty module gives ssh a controlling
# terminal of a chosen size, types into it and reads what comes back. Every
# wait has a deadline; a step that does not see what it expects fails.
DRIVER="$TMP/pty_client.py"
cat >"$DRIVER" <<'PY'
import fcntl, os, pty, re, select, signal, struct, subprocess, sys, termios, time

def die(message):
    print(f"pty_client: {message}", file=sys.stderr, flush=True)
    sys.exit(99)

def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

class Terminal:
    """ssh on a pseudo-terminal: its controlling terminal, as in a real one."""
    def __init__(self, argv, rows, cols):
        pid, fd = pty.fork()
        if pid == 0:
            set_size(0, rows, cols)
            os.environ["TERM"] = "xterm-256color"
            os.execvp(argv[0], argv)
        self.pid, self.fd, self.seen, self.all = pid, fd, b"", b""

    def read_some(self, timeout):
        ready, _, _ = select.select([self.fd], [], [], max(timeout, 0))
        if not ready:
            return True
        try:
            data = os.read(self.fd, 65536)
        except OSError:  # EIO: ssh exited and closed the terminal
            data = b""
        self.seen += data
        self.all += data
        return bool(data)

    def sees(self, pattern, within):
        deadline = time.monotonic() + within
        while True:
            match = re.search(pattern, self.seen)
            if match:
                self.seen = self.seen[match.end():]
                return True
            left = deadline - time.monotonic()
            if left <= 0 or not self.read_some(left):
                return False

    def expect(self, pattern, within=60):
        if not self.sees(pattern, within):
            die(f"did not see {pattern!r} within {within} s; the terminal showed: {self.all[-600:]!r}")

    def type(self, text):
        os.write(self.fd, text.encode())

    def exit_code(self, within=60):
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
            self.read_some(0.2)
        die(f"ssh did not exit within {within} s; the terminal showed: {self.all[-600:]!r}")

def shell(ssh, app):
    term = Terminal(ssh + ["-tt", "git@127.0.0.1", f"run {app} -- sh"], 40, 100)
    term.type("echo hi-$((6*7))\r")  # the echo of the typed line says $((6*7)), the answer 42
    term.expect(rb"hi-42")
    print("typed input answered", flush=True)
    term.type('echo "term=$TERM"\r')
    term.expect(rb"term=xterm-256color")
    term.type("stty size\r")
    term.expect(rb"\b40 100\r?\n")
    print("the client's size reached the container: 40 100", flush=True)
    set_size(term.fd, 50, 132)  # the kernel signals ssh, which sends a window change
    deadline = time.monotonic() + 30
    while not term.sees(rb"\b50 132\r?\n", 1):
        if time.monotonic() > deadline:
            die(f"the resize never reached the container; the terminal showed: {term.all[-600:]!r}")
        term.type("stty size\r")
    print("the resize reached the container: 50 132", flush=True)
    term.type("exit 7\r")
    code = term.exit_code()
    if code != 7:
        die(f"ssh exited {code}, not 7 (the shell's exit)")
    print("exit 7 is ssh's exit status", flush=True)

def prompt(ssh, app):
    script = "printf 'name? '; read name; echo hello-$name"
    client = subprocess.Popen(ssh + ["git@127.0.0.1", f"run {app} -- sh -c \"{script}\""],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    os.set_blocking(client.stdout.fileno(), False)
    seen, deadline = b"", time.monotonic() + 60
    while b"name? " not in seen:
        if time.monotonic() > deadline or client.poll() is not None:
            die(f"no prompt without a newline before the answer; saw {seen!r}")
        select.select([client.stdout], [], [], 1)
        seen += client.stdout.read() or b""
    client.stdin.write(b"bob\n")
    client.stdin.close()
    os.set_blocking(client.stdout.fileno(), True)
    seen += client.stdout.read()
    if client.wait(60) != 0 or seen != b"name? hello-bob\n":
        die(f"after the answer: exit {client.returncode}, output {seen!r}")
    print("the prompt came before the answer", flush=True)

def listed(ssh, app):
    term = Terminal(ssh + ["-tt", "git@127.0.0.1", "apps:list"], 24, 80)
    code = term.exit_code()
    if code != 0 or app.encode() not in term.all:
        die(f"ssh -tt apps:list exited {code} showing {term.all!r}")
    print("ssh -tt apps:list works", flush=True)

def killed(ssh, app):
    term = Terminal(ssh + ["-tt", "git@127.0.0.1", f"run {app} -- sh"], 24, 80)
    term.type("echo ready-$((1+1))\r")
    term.expect(rb"ready-2")
    print("READY", flush=True)
    sys.stdin.readline()  # the scenario has looked at the container
    os.kill(term.pid, signal.SIGKILL)
    os.waitpid(term.pid, 0)

mode, app, ssh = sys.argv[1], sys.argv[2], sys.argv[3:]
{"shell": shell, "prompt": prompt, "listed": listed, "killed": killed}[mode](ssh, app)
PY
driver() { timeout -k 5 180 python3 "$DRIVER" "$@"; }

# ------------------------------------------------ stdin, byte for byte
head -c 300000 /dev/urandom >"$TMP/input.bin"
printf 'and no final newline' >>"$TMP/input.bin"
log "ssh run $app -- cat < 300 KB of random bytes"
rc=0
timeout -k 5 120 "${SSH[@]}" git@127.0.0.1 "run $app -- cat" <"$TMP/input.bin" >"$TMP/output.bin" 2>"$TMP/cat.err" || rc=$?
assert_eq 0 "$rc" "the exit status of run -- cat (stderr: $(head -c 500 "$TMP/cat.err"))"
cmp "$TMP/input.bin" "$TMP/output.bin" || fail "run -- cat did not give back its stdin byte for byte ($(stat -c %s "$TMP/output.bin") bytes back)"
assert_eq "hello" "$(echo hello | timeout -k 5 60 "${SSH[@]}" git@127.0.0.1 "run $app -- cat")" "echo hello | run -- cat"
# Without input (ssh -n) the command sees EOF at once.
assert_eq "0" "$(timeout -k 5 60 "${SSH[@]}" -n git@127.0.0.1 "run $app -- wc -c")" "run -- wc -c with ssh -n"

# ------------------------------------------- output as bytes: a prompt
driver prompt "$app" "${SSH[@]}" || fail "the prompt scenario failed"

# ------------------------------------------------- a terminal (ssh -tt)
driver shell "$app" "${SSH[@]}" || fail "the terminal scenario failed"
driver listed "$app" "${SSH[@]}" || fail "ssh -tt apps:list failed"

# ------------------------------------- a killed client ends its one-off
wait_for 30 eval '(( $(one_offs) == 0 ))' || fail "one-off containers remain before the kill test"
coproc KILLED { driver killed "$app" "${SSH[@]}"; }
read -r -t 90 ready <&"${KILLED[0]}" || true
assert_eq READY "$ready" "the killed client's shell answering"
assert_eq 1 "$(one_offs)" "one-off containers while the client's shell runs"
killed_at=$(date +%s.%N)
echo go >&"${KILLED[1]}"
wait "$KILLED_PID" || true
wait_for 30 eval '(( $(one_offs) == 0 ))' ||
  fail "one-off containers remain after the client was killed: $(pod ps -a --format '{{.Names}}' | grep -- "-run-")"
log "the killed client's container is gone after $(perl -e "printf '%.1f', $(date +%s.%N) - $killed_at") s"

# ------------------------------------------------------------- the log
marker="arg-$$-secret"
admin run "$app" -- sh -c "'exit 5'" "$marker"
assert_eq 5 "$ADMIN_RC" "run -- sh -c 'exit 5' ARG"
recorded() { grep -q "one-off app=$app env=production user=e2e-client release=v[0-9]* program=$1 exit=$2 " "$DATA/gateway.log"; }
wait_for 10 recorded sh 7 || fail "the gateway log does not record the terminal's one-off (sh, exit 7)"
wait_for 10 recorded sh 5 || fail "the gateway log does not record run -- sh -c 'exit 5'"
wait_for 10 recorded cat 0 || fail "the gateway log does not record run -- cat"
if grep -q -- "$marker" "$DATA/gateway.log"; then fail "the gateway log holds a one-off's argument"; fi
