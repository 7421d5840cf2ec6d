#!/usr/bin/env python3
"""Checks one interop run from both sides.

Inputs: the QuickFIX peer's JSON summary, optionally ringfix's
`initiator --json` summary, and both sides' FileLog message logs
(`*.messages.current.log`, QuickFIX format `time : message`).

Checks: the peer reported no error; every message one side logged as sent
the other logged as received, and nothing else (per direction, compared as
multisets of (MsgSeqNum, MsgType, PossDupFlag)); the next sequence numbers
agree (each side's next-to-send is the other's next-expected, and both match
the highest MsgSeqNum on the wire); order and fill counts; ringfix's summary
(complete, every order filled, no rejects, message counts equal to the logs).
Prints one line per check and exits 1 on any mismatch.
"""
import argparse
import collections
import glob
import json
import os
import sys

SOH = "\x01"


def read_log(folder):
    """Messages of every *.messages.current.log in folder, as field dicts."""
    files = sorted(glob.glob(os.path.join(folder, "**", "*.messages.current.log"), recursive=True))
    msgs = []
    for path in files:
        with open(path, "rb") as f:
            for raw in f.read().split(b"\n"):
                line = raw.decode("latin-1")
                i = line.find(" : 8=")
                if i < 0:
                    continue
                fields = {}
                for part in line[i + 3:].split(SOH):
                    if "=" in part:
                        k, v = part.split("=", 1)
                        fields.setdefault(k, v)
                msgs.append(fields)
    return files, msgs


def wire_set(msgs, sender):
    return collections.Counter(
        (int(m.get("34", "0")), m.get("35"), m.get("43", "N")) for m in msgs if m.get("49") == sender
    )


class Checks:
    def __init__(self):
        self.failed = 0

    def check(self, ok, what):
        print("%s %s" % ("ok  " if ok else "FAIL", what))
        if not ok:
            self.failed += 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--qf-json", required=True)
    ap.add_argument("--rf-json")
    ap.add_argument("--qf-log", required=True)
    ap.add_argument("--rf-log", required=True)
    ap.add_argument("--qf-id", default="QF")
    ap.add_argument("--rf-id", default="RINGFIX")
    ap.add_argument("--count", type=int, required=True)
    args = ap.parse_args()
    c = Checks()
    print("== %s" % args.name)

    try:
        with open(args.qf_json) as f:
            qf = json.loads(f.read().strip().splitlines()[-1])
    except (OSError, ValueError, IndexError) as e:
        print("FAIL QuickFIX peer summary unreadable: %s" % e)
        return 1
    c.check(not qf.get("errors"), "QuickFIX peer errors: %s" % (qf.get("errors") or "none"))
    c.check(qf.get("logged_on") and qf.get("logged_out"), "logon and logout seen by QuickFIX")
    c.check(qf.get("test_request_answered"), "TestRequest answered by ringfix")
    c.check(qf.get("resend_requests_in", 0) >= 1, "forced gap: ResendRequests from ringfix %s" % qf.get("resend_requests_in"))
    c.check(qf.get("possdup_in", 0) >= 1, "our ResendRequest answered with PossDupFlag=Y: %s" % qf.get("possdup_in"))

    qf_files, qf_msgs = read_log(args.qf_log)
    rf_files, rf_msgs = read_log(args.rf_log)
    c.check(bool(qf_files) and bool(rf_files), "message logs found (QuickFIX %d, ringfix %d files)" % (len(qf_files), len(rf_files)))
    for sender, receiver in ((args.rf_id, args.qf_id), (args.qf_id, args.rf_id)):
        a = wire_set(rf_msgs, sender)
        b = wire_set(qf_msgs, sender)
        diff = list((a - b).items())[:3] + list((b - a).items())[:3]
        c.check(a == b, "%s -> %s: %d messages in ringfix's log, %d in QuickFIX's%s" % (
            sender, receiver, sum(a.values()), sum(b.values()), (" differ: %s" % diff) if diff else ""))

    rf_max = max((k[0] for k in wire_set(qf_msgs, args.rf_id)), default=0)
    qf_max = max((k[0] for k in wire_set(qf_msgs, args.qf_id)), default=0)
    c.check(qf.get("next_target") == rf_max + 1, "QuickFIX expects %s next from ringfix; ringfix's last was %d" % (qf.get("next_target"), rf_max))
    c.check(qf.get("next_sender") == qf_max + 1, "QuickFIX sends %s next; its last was %d" % (qf.get("next_sender"), qf_max))

    def count(msgs, sender, msg_type, unique=None):
        sel = [m for m in msgs if m.get("49") == sender and m.get("35") == msg_type and m.get("43", "N") != "Y"]
        return len({m.get(unique) for m in sel}) if unique else len(sel)

    if qf.get("role") == "acceptor":
        nos_from, er_from = args.rf_id, args.qf_id
        c.check(qf.get("nos_received") == args.count, "orders received by QuickFIX: %s" % qf.get("nos_received"))
        c.check(qf.get("er_sent") == args.count, "fills sent by QuickFIX: %s" % qf.get("er_sent"))
    else:
        nos_from, er_from = args.qf_id, args.rf_id
        c.check(qf.get("nos_sent") == args.count, "orders sent by QuickFIX: %s" % qf.get("nos_sent"))
        c.check(qf.get("er_received") == args.count, "fills received by QuickFIX: %s" % qf.get("er_received"))
    for log_name, msgs in (("ringfix", rf_msgs), ("QuickFIX", qf_msgs)):
        n = count(msgs, nos_from, "D", "11")
        e = count(msgs, er_from, "8", "11")
        c.check(n == args.count and e == args.count, "%s log: %d distinct orders, %d distinct fills" % (log_name, n, e))
    rejects = [m for m in rf_msgs + qf_msgs if m.get("35") in ("3", "j")]
    c.check(not rejects, "no Reject or BusinessMessageReject on the wire (%d)" % len(rejects))

    if args.rf_json:
        try:
            with open(args.rf_json) as f:
                rf = json.loads(f.read().strip().splitlines()[-1])
        except (OSError, ValueError, IndexError) as e:
            print("FAIL ringfix summary unreadable: %s" % e)
            return 1
        if isinstance(rf, list):
            c.check(len(rf) == 1, "one ringfix session")
            rf = rf[0] if rf else {}
        c.check(rf.get("complete") is True, "ringfix: every order answered and logged out")
        c.check(rf.get("orders_sent") == args.count, "ringfix orders sent: %s" % rf.get("orders_sent"))
        c.check(rf.get("orders_filled") == args.count, "ringfix orders filled: %s" % rf.get("orders_filled"))
        c.check(rf.get("orders_rejected") == 0, "ringfix orders rejected: %s" % rf.get("orders_rejected"))
        c.check(rf.get("next_sender_seq") == qf.get("next_target"), "ringfix next sender %s == QuickFIX next target %s" % (rf.get("next_sender_seq"), qf.get("next_target")))
        c.check(rf.get("next_target_seq") == qf.get("next_sender"), "ringfix next target %s == QuickFIX next sender %s" % (rf.get("next_target_seq"), qf.get("next_sender")))
        # messages_sent counts new messages (sequence numbers used), not
        # PossDup resends; messages_received counts every frame.
        sent = sum(n for k, n in wire_set(rf_msgs, args.rf_id).items() if k[2] != "Y")
        received = sum(wire_set(rf_msgs, args.qf_id).values())
        c.check(rf.get("messages_sent") == sent, "ringfix new messages sent %s == its log %d" % (rf.get("messages_sent"), sent))
        c.check(rf.get("messages_received") == received, "ringfix messages received %s == its log %d" % (rf.get("messages_received"), received))
    print("%s: %s" % (args.name, "passed" if c.failed == 0 else "%d checks failed" % c.failed))
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
