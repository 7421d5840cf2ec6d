#!/usr/bin/env python3
"""QuickFIX C++ (Python bindings) acceptor that behaves like QuickFIX's own
acceptance-test server: echoes NewOrderSingle (unless PossResend=Y and the
ClOrdID was seen on that session) and SecurityDefinition back.

Used to check the TCP conformance runner itself against the reference engine:
  qf_echo_acceptor.py --config acceptor.cfg
(a QuickFIX .cfg; the ringfix acceptance.cfg works once FileStorePath is set).
Runs until killed.
"""
import argparse
import signal
import sys
import threading

import quickfix as fix


class Echo(fix.Application):
    def __init__(self):
        super().__init__()
        self.seen = set()

    def onCreate(self, session_id):
        pass

    def onLogon(self, session_id):
        # ResetOnLogon: forget the ClOrdIDs of the previous incarnation.
        key = session_id.toString()
        self.seen = {p for p in self.seen if p[1] != key}

    def onLogout(self, session_id):
        pass

    def toAdmin(self, message, session_id):
        pass

    def fromAdmin(self, message, session_id):
        pass

    def toApp(self, message, session_id):
        pass

    def fromApp(self, message, session_id):
        msg_type = fix.MsgType()
        message.getHeader().getField(msg_type)
        if msg_type.getValue() == "D":
            poss_resend = fix.PossResend(False)
            if message.getHeader().isSetField(poss_resend):
                message.getHeader().getField(poss_resend)
            cl = fix.ClOrdID()
            message.getField(cl)
            pair = (cl.getValue(), session_id.toString())
            if poss_resend.getValue() and pair in self.seen:
                return
            self.seen.add(pair)
        elif msg_type.getValue() != "d":
            # QuickFIX's test server cracks messages; anything else is
            # unsupported and answered with a BusinessMessageReject.
            raise fix.UnsupportedMessageType()
        fix.Session.sendToTarget(fix.Message(message), session_id)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    args = ap.parse_args()
    settings = fix.SessionSettings(args.config)
    app = Echo()
    acceptor = fix.SocketAcceptor(app, fix.MemoryStoreFactory(), settings, fix.ScreenLogFactory(settings))
    acceptor.start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    print("listening", flush=True)
    done.wait()
    acceptor.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
