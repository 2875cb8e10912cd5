"""A small SMTP server for the tests (RFC 5321 subset, standard library only).

Listens on a free loopback port, records every accepted message (envelope sender,
recipients, the DATA exactly as received once un-dot-stuffed) and can be told to
answer the next N RCPT or end-of-DATA replies with an error code (451: temporary,
550: permanent). Threaded: each connection has its own handler thread. Given a
certificate (tls=(cert, key)), it offers STARTTLS and notes whether each message came
over TLS.

    srv = SmtpServer().start()
    srv.fail_next(451, 1, "rcpt")
    ... srv.messages[0].mail_from, .rcpt_to, .data (bytes) ...
    srv.stop()
"""
import os
import socketserver
import ssl
import threading
import time


TEST_CERT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tls", "relay.pem")
TEST_KEY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tls", "relay.key")


class Message:
    def __init__(self, mail_from, rcpt_to, data, tls=False):
        self.mail_from = mail_from
        self.rcpt_to = rcpt_to
        self.data = data
        self.tls = tls


def _addr(arg):
    """The address inside 'FROM:<a@b> SIZE=1' or 'TO:<a@b>'."""
    lt, gt = arg.find("<"), arg.find(">")
    return arg[lt + 1:gt] if 0 <= lt < gt else arg.split(":", 1)[-1].strip()


class _Handler(socketserver.StreamRequestHandler):
    timeout = 30

    def reply(self, text):
        self.wfile.write(text.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self):
        srv = self.server.owner
        self.reply("220 test.local ESMTP ready")
        mail_from, rcpts, tls = None, [], False
        while True:
            line = self.rfile.readline(4096)
            if not line:
                return
            cmd = line.decode("utf-8", "replace").rstrip("\r\n")
            verb, _, arg = cmd.partition(" ")
            verb = verb.upper()
            srv.commands.append(cmd)
            if verb in ("EHLO", "HELO"):
                self.reply("250-test.local greets you")
                if srv.tls_context and not tls:
                    self.reply("250-STARTTLS")
                self.reply("250 8BITMIME")
            elif verb == "STARTTLS" and srv.tls_context and not tls:
                self.reply("220 2.0.0 Ready to start TLS")
                try:
                    self.connection = srv.tls_context.wrap_socket(self.connection, server_side=True)
                except (ssl.SSLError, OSError) as e:
                    with srv.lock:
                        srv.tls_errors.append(str(e))
                    return
                self.rfile = self.connection.makefile("rb")
                self.wfile = self.connection.makefile("wb")
                mail_from, rcpts, tls = None, [], True      # RFC 3207: start afresh
            elif verb == "MAIL":
                mail_from, rcpts = _addr(arg), []
                self.reply("250 2.1.0 Ok")
            elif verb == "RCPT":
                code = srv._take_failure("rcpt")
                if code:
                    self.reply(f"{code} {'4.3.0 Try again later' if code < 500 else '5.1.1 No such user here'}")
                else:
                    rcpts.append(_addr(arg))
                    self.reply("250 2.1.5 Ok")
            elif verb == "DATA":
                if not rcpts:
                    self.reply("503 5.5.1 No valid recipients")
                    continue
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while True:
                    l = self.rfile.readline(65536)
                    if not l:
                        return
                    if l in (b".\r\n", b".\n"):
                        break
                    if l.startswith(b"."):      # RFC 5321 4.5.2: remove the stuffed dot
                        l = l[1:]
                    lines.append(l)
                code = srv._take_failure("data")
                if code:
                    self.reply(f"{code} {'4.3.0 Queue full, try later' if code < 500 else '5.7.1 Message refused'}")
                else:
                    with srv.lock:
                        srv.messages.append(Message(mail_from, list(rcpts), b"".join(lines), tls))
                        n = len(srv.messages)
                    self.reply(f"250 2.0.0 Ok: queued as TEST{n}")
                mail_from, rcpts = None, []
            elif verb == "RSET":
                mail_from, rcpts = None, []
                self.reply("250 2.0.0 Ok")
            elif verb == "NOOP":
                self.reply("250 2.0.0 Ok")
            elif verb == "QUIT":
                self.reply("221 2.0.0 Bye")
                return
            else:
                self.reply("502 5.5.2 Command not recognized")


class _TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class SmtpServer:
    def __init__(self, tls=None):
        self.messages = []
        self.commands = []
        self.tls_errors = []
        self.tls_context = None
        if tls:
            self.tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls_context.load_cert_chain(*tls)
        self.lock = threading.Lock()
        self._fail = {"rcpt": [], "data": []}
        self._srv = None
        self.port = None

    def start(self):
        self._srv = _TCPServer(("127.0.0.1", 0), _Handler)
        self._srv.owner = self
        self.port = self._srv.server_address[1]
        threading.Thread(target=self._srv.serve_forever, daemon=True).start()
        return self

    @property
    def url(self):
        return f"smtp://127.0.0.1:{self.port}"

    def fail_next(self, code, n=1, stage="rcpt"):
        """Answer `code` to the next n RCPT commands (stage "rcpt") or ends of DATA ("data")."""
        with self.lock:
            self._fail[stage].extend([code] * n)

    def _take_failure(self, stage):
        with self.lock:
            return self._fail[stage].pop(0) if self._fail[stage] else None

    def wait_messages(self, n, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if len(self.messages) >= n:
                    return list(self.messages)
            time.sleep(0.05)
        raise AssertionError(f"{len(self.messages)} message(s) received, {n} expected")

    def stop(self):
        if self._srv:
            self._srv.shutdown()
            self._srv.server_close()
            self._srv = None
