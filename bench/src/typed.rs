//! Generated message types against the codec used by hand (same run as
//! the `codec` rows): `er` read through `fix44::execution_report::View` vs
//! `MessageView::get` and the codec's parsers (ops `view`, `get`), and
//! `er37` written by `fix44::ExecutionReport`'s builder (op `build`) vs the
//! hand-written encoder of the same message (`er37 encode`). Each row
//! checks first that it allocates nothing.

use crate::report::{measure, Options, Row};
use ringfix_codec::dict::{builtin, Version};
use ringfix_codec::typed::{Build, Draft, VecDraft};
use ringfix_codec::value::{parse_char, parse_i64};
use ringfix_codec::{
    Decimal, GroupLayout, MessageView, Parser, TimePrecision, TimestampFormatter, UtcTimestamp,
};
use ringfix_messages::fix44::field::{
    ExecType, OrdStatus, PartyIDSource, PartyRole, PartySubIDType, Side,
};
use ringfix_messages::fix44::prelude::*;
use ringfix_messages::fix44::{self, execution_report};
use ringfix_testkit::alloc::allocs;
use ringfix_testkit::messages::{s, v};
use std::hint::black_box;

/// `er37` through the generated builder: the same bytes as [`ringfix_testkit::messages::er37`].
pub fn er37_build(out: &mut Vec<u8>, f: &mut TimestampFormatter, now: UtcTimestamp) {
    let mut d = VecDraft::new(out, b"FIX.4.4", b"8");
    d.encoder()
        .uint(34, v(2))
        .bytes(49, s(b"Broker"))
        .timestamp_cached(52, now, TimePrecision::Seconds, f)
        .bytes(56, s(b"Client"));
    let built = fix44::ExecutionReport::empty(d)
        .order_id(s(b"OID12345"))
        .cl_ord_id(s(b"Order12345"))
        .exec_id(s(b"Exec12345"))
        .exec_type(v(ExecType::New))
        .ord_status(v(OrdStatus::New))
        .symbol(s(b"APPL"))
        .side(v(Side::Buy))
        .order_qty(v(Decimal::new(100, 0)))
        .last_qty(v(Decimal::new(50, 0)))
        .last_px(v(Decimal::new(15000, 2)))
        .leaves_qty(v(Decimal::new(50, 0)))
        .cum_qty(v(Decimal::new(50, 0)))
        .avg_px(v(Decimal::new(15000, 2)))
        .no_party_ids(|g| {
            g.entry(s(b"PARTYA"))
                .party_id_source(v(PartyIDSource::Proprietary))
                .party_role(v(PartyRole::ExecutingFirm))
                .no_party_sub_ids(|sub| {
                    sub.entry(s(b"SUBPARTYA1"))
                        .party_sub_id_type(v(PartySubIDType::Firm));
                    sub.entry(s(b"SUBPARTYA2"))
                        .party_sub_id_type(v(PartySubIDType::Person));
                });
            g.entry(s(b"PARTYB"))
                .party_id_source(v(PartyIDSource::Proprietary))
                .party_role(v(PartyRole::BrokerOfCredit));
        });
    if let Ok(b) = built {
        b.send();
    }
}

/// Keeps a value the compiler cannot see used.
#[inline(always)]
fn keep<T>(x: T) {
    black_box(x);
}

/// Every body field of `er` through `MessageView::get` and the codec's parsers.
#[inline(never)]
fn read_get(m: &MessageView<'_>, parties: &GroupLayout, subs: &GroupLayout) {
    keep(m.get(11));
    keep(m.get(17));
    keep(m.get_char(150));
    keep(m.get_char(39));
    keep(m.get(55));
    keep(m.get_char(54));
    keep(m.get_decimal(38));
    keep(m.get_decimal(32));
    keep(m.get_decimal(31));
    keep(m.get_decimal(151));
    keep(m.get_decimal(14));
    keep(m.get_decimal(6));
    if let Ok(Some(g)) = m.group(parties) {
        for p in g.entries() {
            keep(p.get(448));
            keep(p.get(447).map(parse_char));
            keep(p.get(452).map(parse_i64));
            if let Ok(Some(sg)) = p.group(subs) {
                for sp in sg.entries() {
                    keep(sp.get(523));
                    keep(sp.get(803).map(parse_i64));
                }
            }
        }
    }
}

/// The same fields through the generated view.
#[inline(never)]
fn read_view(m: &MessageView<'_>) {
    let er = execution_report::View::new(*m);
    keep(er.cl_ord_id());
    keep(er.exec_id());
    keep(er.exec_type());
    keep(er.ord_status());
    keep(er.symbol());
    keep(er.side());
    keep(er.order_qty());
    keep(er.last_qty());
    keep(er.last_px());
    keep(er.leaves_qty());
    keep(er.cum_qty());
    keep(er.avg_px());
    if let Ok(parties) = er.no_party_ids() {
        for p in parties {
            keep(p.party_id());
            keep(p.party_id_source());
            keep(p.party_role());
            if let Ok(subs) = p.no_party_sub_ids() {
                for sp in subs {
                    keep(sp.party_sub_id());
                    keep(sp.party_sub_id_type());
                }
            }
        }
    }
}

/// Fails when `f` allocates once warm.
fn no_alloc(what: &str, mut f: impl FnMut()) -> Result<(), String> {
    f();
    let before = allocs();
    for _ in 0..1000 {
        f();
    }
    match allocs() - before {
        0 => Ok(()),
        n => Err(format!("{what}: {n} allocations in 1000 calls")),
    }
}

/// The rows.
pub fn run(opts: &Options) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    let mut fmt = TimestampFormatter::new();
    let now = UtcTimestamp::parse(b"20231103-09:30:00").map_err(|e| e.to_string())?;
    let mut wire = Vec::with_capacity(1024);
    ringfix_testkit::messages::er(&mut wire, &mut fmt, now);
    let dict = builtin(Version::Fix44).map_err(|e| e.to_string())?;
    let parties = dict.group_layout(b"8", 453).ok_or("no NoPartyIDs layout")?;
    let subs = parties.nested_for(802).ok_or("no NoPartySubIDs layout")?;
    let mut parser = Parser::new();
    let view = parser.parse(&wire).map_err(|e| e.to_string())?;
    let row = |op: &'static str, case: &'static str, ns: f64, bytes: usize| Row {
        case,
        op,
        ns_per_msg: ns,
        bytes,
    };
    if opts.wants("er", "get") {
        no_alloc("er get", || read_get(black_box(&view), parties, subs))?;
        let ns = measure(opts, || read_get(black_box(&view), parties, subs));
        rows.push(row("get", "er", ns, wire.len()));
    }
    if opts.wants("er", "view") {
        no_alloc("er view", || read_view(black_box(&view)))?;
        let ns = measure(opts, || read_view(black_box(&view)));
        rows.push(row("view", "er", ns, wire.len()));
    }
    if opts.wants("er37", "build") {
        let mut hand = Vec::new();
        ringfix_testkit::messages::er37(&mut hand, &mut fmt, now);
        let mut built = Vec::new();
        er37_build(&mut built, &mut fmt, now);
        if hand != built {
            return Err("er37: the builder's bytes differ from the hand-written ones".into());
        }
        // As the `encode` rows: each message OUT_STEP bytes after the last.
        let mut out = Vec::with_capacity(2 * crate::codec::PAGE);
        let mut at = 0;
        let mut step = |out: &mut Vec<u8>| {
            if out.len() < at {
                out.resize(at, 0);
            }
            out.truncate(at);
            er37_build(black_box(out), &mut fmt, black_box(now));
            black_box(&out);
            at = (at + crate::codec::OUT_STEP) % crate::codec::PAGE;
        };
        no_alloc("er37 build", || step(&mut out))?;
        let ns = measure(opts, || step(&mut out));
        rows.push(row("build", "er37", ns, built.len()));
    }
    Ok(rows)
}
