#!/usr/bin/env python3
"""The greylisting case of bench/run.sh: a relay that greylists one address, and the check of
what letterpost's delivery log says happened. Standard library only.

    python3 bench/greylist.py serve 127.0.0.1:PORT ADDRESS [--times N]
    python3 bench/greylist.py check LOG KEY

`serve` is a small SMTP server on loopback that answers `451 4.7.1` to RCPT TO:<ADDRESS> the
first N times (1 by default), as a greylisting relay does, and accepts everything else. smtp-sink
cannot refuse one address selectively, so this stands in for it in this one case; like
`smtp-sink -c` it prints running counters `sess=S quit=Q mesg=M` (plus `grey=G`, the 451s
given) on stdout, and `mesg` counts completed DATA transactions, so run.sh checks it the same
way.

`check` reads the delivery log of that run and requires: KEY deferred at RCPT with 451 on
attempt 1, then accepted on attempt 2 with the same Message-ID; every other letter accepted on
its first attempt, before KEY's second `attempt` record. It prints, in seconds from
`run_started`: when the last other letter was accepted (`others_done`), when KEY was
accepted (`grey_done`), and how long KEY waited between its `deferred` and its second `attempt`
(`retry_wait`). The figures are printed even when a requirement fails (then exit 1).
"""

import json
import socketserver
import sys
import threading
from datetime import datetime

# ---------------------------------------------------------------------------------------------
# serve


class Counters:
    def __init__(self):
        self.lock = threading.Lock()
        self.sess = self.quit = self.mesg = self.grey = 0

    def bump(self, name):
        with self.lock:
            setattr(self, name, getattr(self, name) + 1)
            sys.stdout.write(f"sess={self.sess} quit={self.quit} mesg={self.mesg} grey={self.grey}\n")
            sys.stdout.flush()


def serve(listen, address, times):
    host, port = listen.rsplit(":", 1)
    counters = Counters()
    left = {address.lower(): times}
    left_lock = threading.Lock()

    class Session(socketserver.StreamRequestHandler):
        def reply(self, line):
            self.wfile.write(line.encode() + b"\r\n")
            self.wfile.flush()

        def handle(self):
            counters.bump("sess")
            self.reply("220 greylist.bench ESMTP")
            while True:
                raw = self.rfile.readline()
                if not raw:
                    return
                command = raw.decode("utf-8", "replace").rstrip("\r\n")
                verb = command.split(" ", 1)[0].upper()
                if verb in ("EHLO", "HELO"):
                    self.reply("250-greylist.bench\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 52428800")
                elif verb == "RCPT":
                    to = command[command.find("<") + 1:command.rfind(">")].lower()
                    with left_lock:
                        greylisted = left.get(to, 0) > 0
                        if greylisted:
                            left[to] -= 1
                    if greylisted:
                        counters.bump("grey")
                        self.reply("451 4.7.1 Greylisted, please try again later")
                    else:
                        self.reply("250 2.1.5 Ok")
                elif verb == "DATA":
                    self.reply("354 End data with <CR><LF>.<CR><LF>")
                    while True:
                        line = self.rfile.readline()
                        if not line:
                            return
                        if line == b".\r\n":
                            break
                    counters.bump("mesg")
                    self.reply("250 2.0.0 Ok: queued")
                elif verb == "QUIT":
                    counters.bump("quit")
                    self.reply("221 2.0.0 Bye")
                    return
                elif verb in ("MAIL", "RSET", "NOOP"):
                    self.reply("250 2.0.0 Ok")
                else:
                    self.reply("502 5.5.2 Command not recognised")

    class Server(socketserver.ThreadingTCPServer):
        allow_reuse_address = True
        daemon_threads = True

    with Server((host, int(port)), Session) as server:
        server.serve_forever()


# ---------------------------------------------------------------------------------------------
# check


def seconds(record, start):
    t = datetime.fromisoformat(record["time"].replace("Z", "+00:00"))
    return (t - start).total_seconds()


def check(log_path, key):
    with open(log_path, encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    started = [r for r in records if r["type"] == "run_started"][-1]
    start = datetime.fromisoformat(started["time"].replace("Z", "+00:00"))
    run = [r for r in records if r["run"] == started["run"]]
    grey = [r for r in run if r.get("key") == key]
    others = [r for r in run if r.get("key") not in (None, key)]
    problems = []

    shape = [(r["type"], r["attempt"]) for r in grey]
    want = [("attempt", 1), ("deferred", 1), ("attempt", 2), ("data", 2), ("accepted", 2)]
    if shape != want:
        problems.append(f"{key}: records {shape}, expected {want}")
    deferred = next((r for r in grey if r["type"] == "deferred"), None)
    if deferred and (deferred.get("stage") != "rcpt" or (deferred.get("smtp") or {}).get("code") != 451):
        problems.append(f"{key}: deferred at {deferred.get('stage')} with {deferred.get('smtp')}, expected a 451 at rcpt")
    if len({r["message_id"] for r in grey}) != 1:
        problems.append(f"{key}: the retry changed the Message-ID")
    second = next((r for r in grey if r["type"] == "attempt" and r["attempt"] == 2), None)
    accepted = [r for r in others if r["type"] == "accepted"]
    if any(r["type"] not in ("attempt", "data", "accepted") or r["attempt"] != 1 for r in others):
        problems.append("another letter was not accepted on its first attempt")
    late = [r["key"] for r in accepted if second is None or r["seq"] > second["seq"]]
    if late:
        problems.append(f"{len(late)} other letters were accepted after {key}'s retry began (first: {late[0]})")

    figures = {
        "others": len(accepted),
        "others_done": max((seconds(r, start) for r in accepted), default=0.0),
        "grey_done": seconds(grey[-1], start) if grey and grey[-1]["type"] == "accepted" else -1.0,
        "retry_wait": seconds(second, start) - seconds(deferred, start) if second and deferred else -1.0,
    }
    print(" ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in figures.items()))
    for p in problems:
        print(f"greylist check: {p}", file=sys.stderr)
    return 1 if problems else 0


def main(argv):
    if len(argv) >= 4 and argv[1] == "serve":
        times = int(argv[argv.index("--times") + 1]) if "--times" in argv else 1
        serve(argv[2], argv[3], times)
        return 0
    if len(argv) == 4 and argv[1] == "check":
        return check(argv[2], argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
