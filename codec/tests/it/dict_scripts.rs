//! Validation answers for the messages of the QuickFIX acceptance scripts
//! (tests/conformance: 14a-14i, 15, 21, 2q, 2r, ReverseRoute, RejectResentMessage).

use ringfix_codec::dict::{Options, Reject, RejectKind, Validator};
use ringfix_codec::Parser;

/// `8=..|9=..|35=..|...|10=..|` with `|` for SOH; BodyLength and CheckSum computed.
fn raw(begin: &str, body: &str) -> Vec<u8> {
    let body = body.replace('|', "\x01");
    let mut m = format!("8={begin}\x019={}\x01{body}", body.len()).into_bytes();
    let sum = m.iter().fold(0u8, |a, &b| a.wrapping_add(b));
    m.extend_from_slice(format!("10={sum:03}\x01").as_bytes());
    m
}

fn validator(begin: &str) -> Validator {
    let appl = (begin == "FIXT.1.1").then_some(&b"9"[..]);
    Validator::builtin(begin.as_bytes(), appl, Options::default()).unwrap()
}

/// Validates through the raw splitter and through the codec's MessageView;
/// both must agree.
fn check(begin: &str, body: &str) -> Result<(), Reject> {
    let msg = raw(begin, body);
    let mut v = validator(begin);
    let from_bytes = v.validate_bytes(&msg);
    let mut parser = Parser::new();
    let view = parser.parse(&msg).expect("parses");
    assert_eq!(v.validate(&view), from_bytes, "view and bytes disagree");
    from_bytes
}

const VERSIONS: [(&str, &str); 3] = [
    ("FIX.4.2", "TW42"),
    ("FIX.4.4", "TW44"),
    ("FIXT.1.1", "TW50SP2"),
];

/// Session reject: (reason, RefTagID, text).
fn session(r: Result<(), Reject>) -> (u32, Option<i64>, &'static str) {
    let r = r.expect_err("expected a reject");
    match r.kind {
        RejectKind::Session(code) => (code, r.ref_tag, r.text),
        RejectKind::Business(_) => panic!("expected a session reject, got {r:?}"),
    }
}

fn hdr(msg_type: &str, sender: &str) -> String {
    format!("35={msg_type}|34=2|49={sender}|52=20261124-10:00:00.000|56=ISLD|")
}

#[test]
fn s14a_bad_field() {
    for (v, s) in VERSIONS {
        for (tag, n) in [("999", 999), ("0", 0), ("-1", -1), ("5000", 5000)] {
            let got = session(check(v, &format!("{}{tag}=HI|", hdr("0", s))));
            assert_eq!(got, (0, Some(n), "Invalid tag number"), "{v} {tag}");
        }
    }
}

#[test]
fn s14b_required_field_missing() {
    for (v, s) in VERSIONS {
        let got = session(check(v, &format!("35=0|34=2|49={s}|52=20261124-10:00:00|")));
        assert_eq!(got, (1, Some(56), "Required tag missing"), "{v}");
    }
    let body =
        "35=D|49=TW42|34=3|56=ISLD|52=20261124-10:00:00|40=1|60=20261124-10:00:00|54=1|21=3|11=id|";
    assert_eq!(
        session(check("FIX.4.2", body)),
        (1, Some(55), "Required tag missing")
    );
    let body =
        "35=D|49=TW44|34=3|56=ISLD|52=20261124-10:00:00|40=1|60=20261124-10:00:00|54=1|21=3|";
    assert_eq!(
        session(check("FIX.4.4", body)),
        (1, Some(11), "Required tag missing")
    );
    let body =
        "35=D|49=TW50SP2|34=3|56=ISLD|52=20261124-10:00:00|40=1|60=20261124-10:00:00|11=id|21=3|";
    assert_eq!(
        session(check("FIXT.1.1", body)),
        (1, Some(54), "Required tag missing")
    );
}

#[test]
fn s14c_tag_not_defined_for_message_type() {
    for (v, s) in VERSIONS {
        let extra = if v == "FIXT.1.1" {
            ("58=Text|", 58)
        } else {
            ("55=MSFT|", 55)
        };
        let got = session(check(v, &format!("{}{}", hdr("0", s), extra.0)));
        assert_eq!(
            got,
            (2, Some(extra.1), "Tag not defined for this message type"),
            "{v}"
        );
    }
}

#[test]
fn s14d_tag_without_value() {
    for (v, s) in VERSIONS {
        let got = session(check(
            v,
            &format!("35=0|34=2|49={s}|52=20261124-10:00:00|56=|"),
        ));
        assert_eq!(got, (4, Some(56), "Tag specified without a value"), "{v}");
    }
}

fn nos(s: &str, fields: &str) -> String {
    format!("{}11=ID|{fields}", hdr("D", s))
}

#[test]
fn s14e_incorrect_enum_value() {
    let text = "Value is incorrect (out of range) for this tag";
    for (v, s) in VERSIONS {
        let b = nos(
            s,
            "21=4|40=1|54=1|38=002000.00|55=INTC|60=20261124-10:00:00|",
        );
        assert_eq!(session(check(v, &b)), (5, Some(21), text), "{v}");
        let b = nos(
            s,
            "21=1|40=1|54=1|38=002000.00|55=INTC|60=20261124-10:00:00|167=BOO|",
        );
        assert_eq!(session(check(v, &b)), (5, Some(167), text), "{v}");
        let good = if v == "FIX.4.2" { "FUT" } else { "CS" };
        let b = nos(
            s,
            &format!("21=1|40=1|54=1|38=002000.00|55=INTC|60=20261124-10:00:00|167={good}|"),
        );
        assert_eq!(check(v, &b), Ok(()), "{v}");
    }
}

#[test]
fn s14f_incorrect_data_format() {
    for (v, s) in VERSIONS {
        let b = nos(s, "21=1|40=1|54=1|38=+200.00|55=INTC|60=20261124-10:00:00|");
        assert_eq!(
            session(check(v, &b)),
            (6, Some(38), "Incorrect data format for value"),
            "{v}"
        );
    }
}

#[test]
fn s14g_header_body_trailer_out_of_order() {
    for (v, s) in VERSIONS {
        let t = "20261124-10:00:00";
        let b = format!("35=D|11=id|21=3|40=1|54=1|55=MSFT|60={t}|34=2|49={s}|52={t}|56=ISLD|");
        let got = session(check(v, &b));
        assert_eq!(
            got,
            (14, Some(34), "Tag specified out of required order"),
            "{v}"
        );
        let b = format!("35=D|55=MSFT|34=3|49={s}|52={t}|56=ISLD|11=id|21=3|40=1|54=1|60={t}|");
        assert_eq!(session(check(v, &b)).1, Some(34), "{v}");
    }
}

#[test]
fn s14h_repeated_tag() {
    for (v, s) in VERSIONS {
        let b = nos(
            s,
            "21=1|40=1|40=2|54=1|38=200.00|55=INTC|60=20261124-10:00:00|",
        );
        assert_eq!(
            session(check(v, &b)),
            (13, Some(40), "Tag appears more than once"),
            "{v}"
        );
    }
}

#[test]
fn s14i_group_count_mismatch() {
    let text = "Incorrect NumInGroup count for repeating group";
    for (v, s) in VERSIONS {
        let b = nos(s, "21=1|40=1|54=1|38=200.00|55=INTC|386=3|336=PRE-OPEN|336=AFTER-HOURS|60=20261124-10:00:00|");
        assert_eq!(session(check(v, &b)), (16, Some(386), text), "{v}");
        let b = nos(s, "21=1|40=1|54=1|38=200.00|55=INTC|386=2|336=PRE-OPEN|336=AFTER-HOURS|60=20261124-10:00:00|");
        assert_eq!(check(v, &b), Ok(()), "{v}");
    }
}

#[test]
fn s15_fields_in_any_order_within_sections() {
    for (v, s) in VERSIONS {
        let t = "20261124-10:00:00";
        let b = format!("35=D|49={s}|34=3|56=ISLD|52={t}|40=1|55=MSFT|60={t}|54=1|21=3|11=id|");
        let b = if v == "FIX.4.2" {
            b
        } else {
            format!("{b}38=1|")
        };
        assert_eq!(check(v, &b), Ok(()), "{v}");
    }
}

#[test]
fn s21_group_count_zero() {
    let common = "320=JCD1091-20021011|322=1034356488676|323=6|55=TBS|22=8|";
    let cases = [
        (
            "FIX.4.2",
            "TW42",
            "167=OPT|336=ONE_MAIN|58=No Products found|393=0|146=0|",
        ),
        (
            "FIX.4.4",
            "TW44",
            "167=CS|336=ONE_MAIN|58=No Products found|454=0|",
        ),
        ("FIXT.1.1", "TW50SP2", "167=CS|58=No Products found|454=0|"),
    ];
    for (v, s, rest) in cases {
        assert_eq!(
            check(v, &format!("{}{common}{rest}", hdr("d", s))),
            Ok(()),
            "{v}"
        );
        let wrong = rest.replace("=0|", "=1|");
        assert_eq!(
            session(check(v, &format!("{}{common}{wrong}", hdr("d", s)))).0,
            16,
            "{v}"
        );
    }
}

#[test]
fn s2q_invalid_msg_type() {
    for (v, s) in VERSIONS {
        assert_eq!(
            session(check(v, &hdr("*", s))),
            (11, None, "Invalid MsgType"),
            "{v}"
        );
    }
}

#[test]
fn s2r_defined_type_validates() {
    // 35=8 is in every dictionary: the BusinessMessageReject of 2r comes from
    // the application (Reject::unsupported_message_type), not the dictionary.
    let b = "37=id|17=id|150=0|39=0|55=WLRI|54=1|151=100|14=0|6=0.0|";
    assert_eq!(
        check("FIX.4.4", &format!("{}{b}", hdr("8", "TW44"))),
        Ok(())
    );
    let u = Reject::unsupported_message_type(b"FIX.4.4");
    assert_eq!(
        (u.msg_type(), u.business_reject_reason(), u.text),
        (&b"j"[..], Some(3), "Unsupported Message Type")
    );
}

#[test]
fn reverse_route_empty_tags_header_first() {
    for (v, s) in VERSIONS {
        let base = "11=ID|21=3|38=100|54=1|55=INTC|60=20261124-10:00:00|";
        for tag in [115, 128, 144, 145] {
            let b = format!("{}{tag}=|{base}40=w|", hdr("D", s));
            assert_eq!(
                session(check(v, &b)),
                (4, Some(tag), "Tag specified without a value"),
                "{v} {tag}"
            );
        }
        let b = format!("{}128=JCD|{base}40=w|", hdr("D", s));
        assert_eq!(session(check(v, &b)).0, 5, "{v}");
    }
}

#[test]
fn reject_resent_bad_timestamp() {
    for (v, s) in VERSIONS {
        let t = "20261124-10:00:00";
        let b = format!("35=D|34=2|43=Y|49={s}|52={t}|56=ISLD|122={t}|11=ID|21=3|38=100|40=1|54=1|55=IVP|60={t}|126=20040415|");
        assert_eq!(
            session(check(v, &b)),
            (6, Some(126), "Incorrect data format for value"),
            "{v}"
        );
    }
}
