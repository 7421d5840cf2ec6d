//! One send path on the session's thread (issues 25 and 26 item 6): the
//! typed seam (`Sender::start::<M>()`, a `typed::Build` marker over the
//! session's draft) and the untyped send work the same from `on_app`,
//! `on_logon` and `poll`; a refused or dropped send consumes no MsgSeqNum
//! and leaves nothing in the outbound buffer.

use crate::common;

use common::{settings, Rig, START};
use ringfix_codec::dict::Version;
use ringfix_codec::typed::{Build, Draft};
use ringfix_engine::session::{
    AppVerdict, Application, Incoming, Role, SendError, Sender, SessionSettings,
};
use ringfix_engine::store::{MemoryStore, UtcTimestamp};

/// A hand-written marker as the code generator writes them: a
/// NewOrderSingle of `V`'s dictionary with one field.
struct Order<const V: u8>;

struct OrderBuilder<D>(D);

impl<'b, D: Draft<'b>> OrderBuilder<D> {
    fn cl_ord_id(mut self, id: &[u8]) -> Self {
        self.0.encoder().bytes(11, id);
        self
    }
    fn send(self) -> D::Sent {
        self.0.send()
    }
}

macro_rules! order {
    ($($v:literal => $ver:expr),*) => {$(
        impl Build for Order<$v> {
            const MSG_TYPE: &'static [u8] = b"D";
            const VERSION: Version = $ver;
            type Empty<'b, D: Draft<'b>> = OrderBuilder<D>;
            fn empty<'b, D: Draft<'b>>(draft: D) -> OrderBuilder<D> {
                OrderBuilder(draft)
            }
        }
    )*};
}
order!(42 => Version::Fix42, 44 => Version::Fix44, 50 => Version::Fix50, 92 => Version::Fix50Sp2);

/// Sends orders from every place an application can send.
#[derive(Default)]
struct Trader {
    on_app: bool,
    on_logon: bool,
    poll: bool,
    sent: Vec<Result<u64, String>>,
}

impl Trader {
    fn order(&mut self, out: &mut Sender<'_>, id: &[u8]) {
        let r = match out.start::<Order<44>>() {
            Ok(b) => b.cl_ord_id(id).send(),
            Err(e) => Err(e),
        };
        self.sent.push(r.map_err(|e| e.to_string()));
    }
}

impl Application for Trader {
    fn on_app(
        &mut self,
        _: &SessionSettings,
        _: &Incoming<'_>,
        out: &mut Sender<'_>,
    ) -> AppVerdict {
        if self.on_app {
            self.order(out, b"from-on-app");
        }
        AppVerdict::Accept
    }
    fn on_logon(&mut self, _: &SessionSettings, out: &mut Sender<'_>) {
        if self.on_logon {
            self.order(out, b"from-on-logon");
        }
    }
    fn poll(&mut self, out: &mut Sender<'_>) {
        if std::mem::take(&mut self.poll) {
            self.order(out, b"from-poll");
        }
    }
}

fn logged_on_with(app: Trader) -> (Rig<MemoryStore>, Trader) {
    let mut r = Rig::acceptor("FIX.4.4");
    r.connect();
    let mut app = app;
    let now = r.ts();
    let logon = ringfix_testkit::pcap::fix_with(
        "FIX.4.4",
        &format!("35=A|34=1|49=TW|52={}|56=ISLD|98=0|108=30|", r.time_text(0)),
    );
    Incoming::parse_with(&logon, |m| r.s.on_message(m, now, &mut r.out, &mut app)).unwrap();
    (r, app)
}

fn types_and_seqs(r: &mut Rig<MemoryStore>) -> Vec<(String, String, Option<String>)> {
    r.sent()
        .iter()
        .map(|m| {
            (
                Rig::<MemoryStore>::field(m, 35).unwrap(),
                Rig::<MemoryStore>::field(m, 34).unwrap(),
                Rig::<MemoryStore>::field(m, 11),
            )
        })
        .collect()
}

#[test]
fn typed_sends_from_on_logon_on_app_and_poll() {
    let (mut r, mut app) = logged_on_with(Trader {
        on_logon: true,
        on_app: true,
        poll: true,
        ..Trader::default()
    });
    assert_eq!(
        app.sent,
        vec![Ok(2)],
        "on_logon sends after the Logon answer"
    );
    let now = r.ts();
    r.s.poll_app(now, &mut r.out, &mut app);
    let msg = ringfix_testkit::pcap::fix_with(
        "FIX.4.4",
        &format!("35=D|34=2|49=TW|52={}|56=ISLD|11=in|", r.time_text(0)),
    );
    Incoming::parse_with(&msg, |m| r.s.on_message(m, now, &mut r.out, &mut app)).unwrap();
    assert_eq!(app.sent, vec![Ok(2), Ok(3), Ok(4)]);
    assert_eq!(
        types_and_seqs(&mut r),
        vec![
            ("A".into(), "1".into(), None),
            ("D".into(), "2".into(), Some("from-on-logon".into())),
            ("D".into(), "3".into(), Some("from-poll".into())),
            ("D".into(), "4".into(), Some("from-on-app".into())),
        ]
    );
    // Stored before it counts: a resend finds it.
    let stored: Vec<u64> = {
        use ringfix_engine::store::MessageStore;
        let mut v = Vec::new();
        r.s.store().get_range(2, 4, &mut |s, _| v.push(s)).unwrap();
        v
    };
    assert_eq!(stored, vec![2, 3, 4]);
}

/// A send in the wrong version is a typed error; a draft dropped unsent
/// takes its bytes back: no MsgSeqNum used, nothing left to send.
#[test]
fn refused_and_dropped_drafts_leave_nothing() {
    let mut r = Rig::logged_on("FIX.4.4", 30);
    r.sent();
    let now = r.ts();
    let before = r.out.len();
    let seq = r.s.next_sender_seq();
    struct Probe;
    impl Application for Probe {
        fn on_app(
            &mut self,
            _: &SessionSettings,
            _: &Incoming<'_>,
            out: &mut Sender<'_>,
        ) -> AppVerdict {
            let e = out.start::<Order<42>>().err();
            assert!(
                matches!(
                    e,
                    Some(SendError::VersionMismatch {
                        message: Version::Fix42,
                        session: Version::Fix44
                    })
                ),
                "{e:?}"
            );
            // Started, written to, dropped.
            let b = out.start::<Order<44>>().unwrap();
            drop(b.cl_ord_id(b"abandoned"));
            let mut d = out.draft(b"D").unwrap();
            d.writer().field(11, b"also abandoned");
            drop(d);
            // The next send takes the number the dropped ones did not.
            let next = out.next_seq();
            assert_eq!(
                out.start::<Order<44>>()
                    .unwrap()
                    .cl_ord_id(b"kept")
                    .send()
                    .unwrap(),
                next
            );
            AppVerdict::Accept
        }
    }
    let msg = ringfix_testkit::pcap::fix_with(
        "FIX.4.4",
        &format!("35=D|34=2|49=TW|52={}|56=ISLD|11=in|", r.time_text(0)),
    );
    Incoming::parse_with(&msg, |m| r.s.on_message(m, now, &mut r.out, &mut Probe)).unwrap();
    assert!(r.out.len() > before);
    let sent = types_and_seqs(&mut r);
    assert_eq!(
        sent,
        vec![("D".into(), seq.to_string(), Some("kept".into()))]
    );
    assert_eq!(r.s.next_sender_seq(), seq + 1);
}

#[test]
fn not_logged_on_refuses_before_writing() {
    let mut r = Rig::acceptor("FIX.4.4");
    r.connect();
    let now = r.ts();
    let e = r.s.send(
        b"D",
        &[],
        |w| {
            w.field(11, b"x");
        },
        now,
        &mut r.out,
    );
    assert!(matches!(e, Err(SendError::NotLoggedOn)));
    assert!(r.out.is_empty());
}

/// FIXT.1.1 sessions take the FIX.5.0 versions; one that is not the
/// session's DefaultApplVerID carries its ApplVerID (1128).
#[test]
fn fixt_sessions_take_fix50_versions_with_appl_ver_id_when_not_the_default() {
    let mut cfg = settings(Role::Acceptor, "FIXT.1.1");
    cfg.default_appl_ver_id = Some("9".into());
    let mut r = Rig::with_store(cfg, MemoryStore::new(UtcTimestamp::from_nanos(START)));
    r.connect();
    r.recv("A", 1, "98=0|108=30|1137=9|");
    r.sent();
    struct Fixt(Vec<String>);
    impl Application for Fixt {
        fn on_app(
            &mut self,
            _: &SessionSettings,
            _: &Incoming<'_>,
            out: &mut Sender<'_>,
        ) -> AppVerdict {
            let a = out.start::<Order<92>>().map(|b| b.cl_ord_id(b"sp2").send());
            let b = out
                .start::<Order<50>>()
                .map(|b| b.cl_ord_id(b"fix50").send());
            let c = out.start::<Order<44>>().err();
            self.0 = vec![format!("{a:?}"), format!("{b:?}"), format!("{c:?}")];
            AppVerdict::Accept
        }
    }
    let mut app = Fixt(Vec::new());
    let now = r.ts();
    let msg = ringfix_testkit::pcap::fix_with(
        "FIXT.1.1",
        &format!("35=D|34=2|49=TW|52={}|56=ISLD|11=in|", r.time_text(0)),
    );
    Incoming::parse_with(&msg, |m| r.s.on_message(m, now, &mut r.out, &mut app)).unwrap();
    assert_eq!(app.0[0], "Ok(Ok(2))");
    assert_eq!(app.0[1], "Ok(Ok(3))");
    assert!(app.0[2].contains("VersionMismatch"), "{}", app.0[2]);
    let out = r.sent();
    assert_eq!(Rig::<MemoryStore>::field(&out[0], 1128), None);
    assert_eq!(
        Rig::<MemoryStore>::field(&out[1], 1128).as_deref(),
        Some("7")
    );
    assert!(
        out[1].contains("|56=TW|1128=7|11=fix50|"),
        "ApplVerID among the header fields, in tag order: {}",
        out[1]
    );
}
