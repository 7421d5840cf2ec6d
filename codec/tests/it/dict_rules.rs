//! Each validation rule, the options, the check order, per version.

use ringfix_codec::dict::{Options, Reject, RejectKind, Validator};
use ringfix_codec::Parser;

fn raw(begin: &str, body: &str) -> Vec<u8> {
    let body = body.replace('|', "\x01");
    let mut m = format!("8={begin}\x019={}\x01{body}", body.len()).into_bytes();
    let sum = m.iter().fold(0u8, |a, &b| a.wrapping_add(b));
    m.extend_from_slice(format!("10={sum:03}\x01").as_bytes());
    m
}

fn run(v: &mut Validator, begin: &str, body: &str) -> Result<(), Reject> {
    let msg = raw(begin, body);
    let from_bytes = v.validate_bytes(&msg);
    let mut parser = Parser::new();
    let view = parser.parse(&msg).expect("parses");
    assert_eq!(v.validate(&view), from_bytes, "view and bytes disagree");
    from_bytes
}

fn with(begin: &str, options: Options, body: &str) -> Result<(), Reject> {
    let appl = (begin == "FIXT.1.1").then_some(&b"9"[..]);
    let mut v = Validator::builtin(begin.as_bytes(), appl, options).unwrap();
    run(&mut v, begin, body)
}

fn check(begin: &str, body: &str) -> Result<(), Reject> {
    with(begin, Options::default(), body)
}

/// (kind, reason, ref tag) of a reject.
fn code(r: Result<(), Reject>) -> (char, u32, Option<i64>) {
    let r = r.expect_err("expected a reject");
    match r.kind {
        RejectKind::Session(c) => ('3', c, r.ref_tag),
        RejectKind::Business(c) => ('j', c, r.ref_tag),
    }
}

const T: &str = "20261124-10:00:00.000";

fn hb(extra: &str) -> String {
    format!("35=0|34=2|49=A|52={T}|56=B|{extra}")
}

fn nos(extra: &str) -> String {
    format!("35=D|34=2|49=A|52={T}|56=B|11=ID|21=1|55=X|54=1|60={T}|38=100|40=2|44=1.5|{extra}")
}

#[test]
fn every_begin_string_validates_a_heartbeat() {
    for v in [
        "FIX.4.0", "FIX.4.1", "FIX.4.2", "FIX.4.3", "FIX.4.4", "FIXT.1.1",
    ] {
        assert_eq!(check(v, &hb("")), Ok(()), "{v}");
        assert_eq!(code(check(v, &hb("999=x|"))), ('3', 0, Some(999)), "{v}");
        assert_eq!(code(check(v, &hb("112=|"))), ('3', 4, Some(112)), "{v}");
        let other = if v == "FIXT.1.1" { 58 } else { 55 };
        assert_eq!(
            code(check(v, &hb(&format!("{other}=X|")))),
            ('3', 2, Some(other)),
            "{v}"
        );
        assert_eq!(
            code(check(v, &format!("35=*|34=2|49=A|52={T}|56=B|"))),
            ('3', 11, None),
            "{v}"
        );
    }
}

#[test]
fn old_versions_report_text_with_the_tag() {
    let r = check("FIX.4.0", &hb("999=x|")).unwrap_err();
    assert_eq!(
        r.text_for(b"FIX.4.0").to_string(),
        "Invalid tag number (999)"
    );
    assert_eq!(
        (
            r.ref_tag_id(b"FIX.4.0"),
            r.session_reject_reason(b"FIX.4.0")
        ),
        (None, None)
    );
    let r = check("FIX.4.2", &nos("40=2|")).unwrap_err();
    assert_eq!(
        r.session_reject_reason(b"FIX.4.2"),
        None,
        "373=13 is not sent in FIX.4.2"
    );
}

#[test]
fn char_is_a_string_before_fix42() {
    // Side "12": FIX.4.0/4.1 treat CHAR as STRING, so only the enum fails.
    let body = "35=D|34=2|49=A|52=20261124-10:00:00|56=B|11=ID|21=1|55=X|54=12|38=100|40=1|";
    assert_eq!(code(check("FIX.4.0", body)), ('3', 5, Some(54)));
    let body42 = format!("{body}60=20261124-10:00:00|");
    assert_eq!(code(check("FIX.4.2", &body42)), ('3', 6, Some(54)));
}

#[test]
fn data_formats() {
    // (field replacing the NOS one with the same tag, offending tag)
    let cases = [
        ("44=1,5", 44),               // PRICE
        ("38=1e3", 38),               // QTY
        ("38=-", 38),                 // QTY without digits
        ("60=20261124", 60),          // UTCTIMESTAMP without time
        ("60=20261124-25:00:00", 60), // hour out of range
        ("60=20261332-10:00:00", 60), // day out of range
        ("54=12", 54),                // CHAR of two bytes
    ];
    for (field, tag) in cases {
        let (t, _) = field.split_once('=').unwrap();
        let start = nos("");
        let old = start
            .split('|')
            .find(|f| f.starts_with(&format!("{t}=")))
            .unwrap();
        let body = start.replacen(old, field, 1);
        assert_eq!(
            code(check("FIX.4.4", &body)),
            ('3', 6, Some(tag)),
            "{field}"
        );
    }
    let bad_seq = format!("35=0|34=x|49=A|52={T}|56=B|");
    assert_eq!(code(check("FIX.4.4", &bad_seq)), ('3', 6, Some(34)));
    let bad_bool = format!("35=0|34=2|43=X|49=A|52={T}|56=B|");
    assert_eq!(code(check("FIX.4.4", &bad_bool)), ('3', 6, Some(43)));
    // LOCALMKTDATE is free text in QuickFIX; strict_date_formats checks it.
    assert_eq!(check("FIX.4.4", &nos("432=2026113|")), Ok(()));
    let strict = Options {
        strict_date_formats: true,
        ..Options::default()
    };
    assert_eq!(
        code(with("FIX.4.4", strict, &nos("432=2026113|"))),
        ('3', 6, Some(432))
    );
    assert_eq!(with("FIX.4.4", strict, &nos("432=20261130|")), Ok(()));
}

#[test]
fn first_problem_in_quickfix_order() {
    // Body fields are checked in tag order: 21 before 999.
    let body =
        format!("35=D|34=2|49=A|52={T}|56=B|11=ID|999=x|21=4|55=X|54=1|60={T}|38=1|40=2|44=1|");
    assert_eq!(code(check("FIX.4.4", &body)), ('3', 5, Some(21)));
    // Header before body even when the body tag is smaller.
    let body =
        format!("35=D|34=2|49=A|52={T}|56=B|115=|1=|11=ID|21=1|55=X|54=1|60={T}|38=1|40=2|44=1|");
    assert_eq!(code(check("FIX.4.4", &body)), ('3', 4, Some(115)));
    // Required fields before field values.
    let body = format!("35=D|34=2|49=A|52={T}|56=B|11=ID|21=4|55=X|60={T}|38=1|40=2|44=1|");
    assert_eq!(code(check("FIX.4.4", &body)), ('3', 1, Some(54)));
    // Structure before everything else.
    let body = format!("35=D|11=ID|34=2|49=A|52={T}|56=B|21=4|55=X|54=1|60={T}|38=1|40=2|");
    assert_eq!(code(check("FIX.4.4", &body)), ('3', 14, Some(34)));
    // The first occurrence's own problem comes before the repeat.
    let body = nos("21=5|");
    assert_eq!(code(check("FIX.4.4", &body)), ('3', 13, Some(21)));
    let body =
        format!("35=D|34=2|49=A|52={T}|56=B|11=ID|21=4|21=1|55=X|54=1|60={T}|38=1|40=2|44=1|");
    assert_eq!(code(check("FIX.4.4", &body)), ('3', 5, Some(21)));
}

#[test]
fn trailer_must_be_last() {
    let body = format!("{}93=2|89=ab|58=late|", hb(""));
    assert_eq!(code(check("FIX.4.2", &body)), ('3', 14, Some(58)));
}

#[test]
fn data_fields_may_hold_soh() {
    let body = format!("35=A|34=1|49=A|52={T}|56=B|98=0|108=30|95=3|96=a|b|");
    assert_eq!(check("FIX.4.4", &body), Ok(()));
}

#[test]
fn missing_header_fields() {
    // Admin message: session reject; application message from FIX.4.2 on: 35=j 380=5.
    assert_eq!(
        code(check("FIX.4.4", &format!("35=0|34=2|52={T}|56=B|"))),
        ('3', 1, Some(49))
    );
    let nos_no_target = nos("").replace("56=B|", "");
    assert_eq!(code(check("FIX.4.4", &nos_no_target)), ('j', 5, Some(56)));
    assert_eq!(
        code(check(
            "FIX.4.1",
            &nos_no_target.replace("60=20261124-10:00:00.000|", "")
        )),
        ('3', 1, Some(56))
    );
    // SendingTime, then MsgSeqNum, after the dictionary checks.
    assert_eq!(
        code(check("FIX.4.4", "35=0|49=A|56=B|")),
        ('3', 1, Some(52))
    );
    assert_eq!(
        code(check("FIX.4.4", &format!("35=0|49=A|52={T}|56=B|"))),
        ('3', 1, Some(34))
    );
    assert_eq!(
        code(check("FIX.4.4", "35=0|49=A|56=B|999=x|")),
        ('3', 0, Some(999))
    );
}

#[test]
fn option_fields_have_values() {
    let off = Options {
        validate_fields_have_values: false,
        ..Options::default()
    };
    assert_eq!(with("FIX.4.4", off, &hb("112=|")), Ok(()));
    // An empty number still fails its format, as in QuickFIX.
    assert_eq!(
        code(with("FIX.4.4", off, &nos("").replace("38=100", "38="))),
        ('3', 6, Some(38))
    );
}

#[test]
fn option_out_of_order() {
    let off = Options {
        validate_fields_out_of_order: false,
        ..Options::default()
    };
    let body = format!("35=D|11=ID|21=1|55=X|54=1|60={T}|38=1|40=2|44=1|34=2|49=A|52={T}|56=B|");
    assert_eq!(with("FIX.4.4", off, &body), Ok(()));
    assert_eq!(code(check("FIX.4.4", &body)), ('3', 14, Some(34)));
}

#[test]
fn option_user_defined_fields() {
    let off = Options {
        validate_user_defined_fields: false,
        ..Options::default()
    };
    assert_eq!(with("FIX.4.4", off, &hb("5000=x|")), Ok(()));
    assert_eq!(
        code(with("FIX.4.4", off, &hb("5000=x|5000=y|"))),
        ('3', 13, Some(5000))
    );
    assert_eq!(
        code(with("FIX.4.4", off, &hb("4999=x|"))),
        ('3', 0, Some(4999))
    );
}

#[test]
fn option_allow_unknown_enum_values() {
    let on = Options {
        allow_unknown_enum_values: true,
        ..Options::default()
    };
    let logon = |v: &str| format!("35=A|34=1|49=A|52={T}|56=B|98={v}|108=30|");
    // A one-byte (char) enumeration and an integer one: 373=5 by default.
    assert_eq!(
        code(check("FIX.4.4", &nos("").replace("54=1", "54=Z"))),
        ('3', 5, Some(54))
    );
    assert_eq!(code(check("FIX.4.4", &logon("7"))), ('3', 5, Some(98)));
    assert_eq!(
        with("FIX.4.4", on, &nos("").replace("54=1", "54=Z")),
        Ok(())
    );
    assert_eq!(with("FIX.4.4", on, &logon("7")), Ok(()));
    assert_eq!(
        with("FIXT.1.1", on, &nos("").replace("40=2", "40=Q")),
        Ok(())
    );
    // The type's syntax still holds.
    assert_eq!(code(with("FIX.4.4", on, &logon("x"))), ('3', 6, Some(98)));
    assert_eq!(
        code(with("FIX.4.4", on, &nos("").replace("54=1", "54=ZZ"))),
        code(check("FIX.4.4", &nos("").replace("54=1", "54=ZZ")))
    );
    // MsgType is not an open enumeration.
    let unknown_type = hb("").replace("35=0", "35=ZZ");
    assert_eq!(
        code(with("FIX.4.4", on, &unknown_type)),
        code(check("FIX.4.4", &unknown_type))
    );
}

#[test]
fn option_allow_unknown_msg_fields() {
    let on = Options {
        allow_unknown_msg_fields: true,
        ..Options::default()
    };
    assert_eq!(with("FIX.4.4", on, &hb("999=x|55=X|")), Ok(()));
    assert_eq!(
        code(with("FIX.4.4", on, &hb("5001=x|"))),
        ('3', 0, Some(5001))
    );
    assert_eq!(code(with("FIX.4.4", on, &hb("112=|"))), ('3', 4, Some(112)));
}

#[test]
fn groups() {
    let parties = "453=1|448=P|447=D|452=1|";
    assert_eq!(check("FIX.4.4", &nos(parties)), Ok(()));
    // Member outside its group: not a body field of the message.
    assert_eq!(code(check("FIX.4.4", &nos("448=P|"))), ('3', 2, Some(448)));
    // Member values are QuickFIX-unchecked unless asked for.
    let bad_member = "453=1|448=P|447=%|";
    assert_eq!(check("FIX.4.4", &nos(bad_member)), Ok(()));
    let members = Options {
        validate_group_members: true,
        ..Options::default()
    };
    assert_eq!(
        code(with("FIX.4.4", members, &nos(bad_member))),
        ('3', 5, Some(447))
    );
    // Nested count: only with validate_group_members.
    let nested = "453=1|448=P|447=D|452=1|802=2|523=S|803=1|";
    assert_eq!(check("FIX.4.4", &nos(nested)), Ok(()));
    assert_eq!(
        code(with("FIX.4.4", members, &nos(nested))),
        ('3', 16, Some(802))
    );
    // An instance not starting with the delimiter.
    let no_delim = "453=1|447=D|";
    assert_eq!(check("FIX.4.4", &nos(no_delim)), Ok(()));
    let delim = Options {
        validate_group_delimiter: true,
        ..Options::default()
    };
    assert_eq!(
        code(with("FIX.4.4", delim, &nos(no_delim))),
        ('3', 15, Some(447))
    );
    // A delimiter after other members starts a second instance (QuickFIX).
    assert_eq!(
        code(check("FIX.4.4", &nos("453=1|447=D|448=P|"))),
        ('3', 16, Some(453))
    );
    // A second delimiter starts a second instance.
    assert_eq!(
        code(check("FIX.4.4", &nos("453=1|448=P|448=Q|"))),
        ('3', 16, Some(453))
    );
}

/// QuickFIX/J's ValidateUnorderedGroupFields and FirstFieldInGroupIsDelimiter.
#[test]
fn group_order_and_first_field_delimiter() {
    // FIX44 Parties: PartyID (448), PartyIDSource (447), PartyRole (452), ...
    let unordered = Options {
        validate_unordered_group_fields: true,
        ..Options::default()
    };
    let swapped = "453=1|448=P|452=1|447=D|";
    assert_eq!(check("FIX.4.4", &nos(swapped)), Ok(()));
    assert_eq!(
        code(with("FIX.4.4", unordered, &nos(swapped))),
        ('3', 15, Some(447))
    );
    // In order, over two instances: fine; the order restarts per instance.
    let two = "453=2|448=P|447=D|452=1|448=Q|452=3|";
    assert_eq!(with("FIX.4.4", unordered, &nos(two)), Ok(()));
    // A repeated member is out of order too (QuickFIX C++ would start a
    // new instance with it and count three).
    let repeated = "453=2|448=P|447=D|447=D|448=Q|";
    assert_eq!(code(check("FIX.4.4", &nos(repeated))), ('3', 16, Some(453)));
    assert_eq!(
        code(with("FIX.4.4", unordered, &nos(repeated))),
        ('3', 15, Some(447))
    );
    // It comes before the other checks, as QuickFIX/J finds it while parsing.
    let with_bad_field = nos(swapped).replace("|54=1|", "|54=Z|");
    assert_eq!(code(check("FIX.4.4", &with_bad_field)), ('3', 5, Some(54)));
    assert_eq!(
        code(with("FIX.4.4", unordered, &with_bad_field)),
        ('3', 15, Some(447))
    );

    // The first member delimits: PartyRole first, two instances.
    let first = Options {
        first_field_in_group_is_delimiter: true,
        ..Options::default()
    };
    let role_first = "453=2|452=1|448=P|452=3|448=Q|";
    assert_eq!(
        code(check("FIX.4.4", &nos(role_first))),
        ('3', 16, Some(453))
    );
    assert_eq!(with("FIX.4.4", first, &nos(role_first)), Ok(()));
    // Only that field starts an instance: the dictionary's delimiter and
    // repeated members do not.
    let one = "453=1|452=1|448=P|448=Q|447=D|";
    assert_eq!(with("FIX.4.4", first, &nos(one)), Ok(()));
    assert_eq!(
        code(with("FIX.4.4", first, &nos("453=2|452=1|448=P|448=Q|"))),
        ('3', 16, Some(453))
    );
    let ordered_first = Options {
        validate_unordered_group_fields: true,
        ..first
    };
    // QuickFIX/J does not compare members with the field that started the instance.
    assert_eq!(with("FIX.4.4", ordered_first, &nos(role_first)), Ok(()));
    assert_eq!(
        code(with(
            "FIX.4.4",
            ordered_first,
            &nos("453=1|452=1|447=D|448=P|")
        )),
        ('3', 15, Some(448))
    );
}

#[test]
fn required_fields_inside_required_groups() {
    let base = format!("35=E|34=2|49=A|52={T}|56=B|66=L|394=1|68=1|");
    let ok = format!("{base}73=1|11=C|67=1|55=X|54=1|40=1|");
    assert_eq!(check("FIX.4.4", &ok), Ok(()));
    let missing = format!("{base}73=1|67=1|55=X|54=1|40=1|");
    assert_eq!(code(check("FIX.4.4", &missing)), ('3', 1, Some(11)));
}

#[test]
fn fixt_application_versions() {
    // Default 1137=9: FIX.5.0SP2 rules for the body.
    let body = format!("35=D|34=2|49=A|52={T}|56=B|11=ID|21=1|55=X|54=1|60={T}|38=1|40=2|44=1|");
    assert_eq!(check("FIXT.1.1", &body), Ok(()));
    // 1128=2 selects FIX.4.0, where TransactTime (60) is not in NewOrderSingle.
    let body40 = body.replace("56=B|", "56=B|1128=2|");
    assert_eq!(code(check("FIXT.1.1", &body40)), ('3', 2, Some(60)));
    // An ApplVerID without a dictionary: the body goes unchecked (QuickFIX).
    let unknown = body
        .replace("56=B|", "56=B|1128=1|")
        .replace("21=1", "21=9");
    assert_eq!(check("FIXT.1.1", &unknown), Ok(()));
    // Admin messages use the transport dictionary only.
    assert_eq!(code(check("FIXT.1.1", &hb("58=x|"))), ('3', 2, Some(58)));
    // No DefaultApplVerID yet: application bodies are not checked.
    let mut v = Validator::builtin(b"FIXT.1.1", None, Options::default()).unwrap();
    assert_eq!(
        run(&mut v, "FIXT.1.1", &body.replace("21=1", "21=9")),
        Ok(())
    );
    v.set_default_appl_ver_id(b"9").unwrap();
    assert_eq!(
        code(run(&mut v, "FIXT.1.1", &body.replace("21=1", "21=9"))),
        ('3', 5, Some(21))
    );
    assert!(v.set_default_appl_ver_id(b"77").is_err());
}

#[test]
fn custom_app_dictionary() {
    let xml = include_str!("../../spec/FIX44.xml").replacen(
        "<value enum='1' description='AUTOMATED_EXECUTION_NO_INTERVENTION' />",
        "",
        1,
    );
    let dict = ringfix_codec::dict::Dictionary::parse(&xml, "custom44.xml").unwrap();
    let v = Validator::builtin(b"FIXT.1.1", Some(b"9"), Options::default()).unwrap();
    let mut v = v.with_app_dictionary(b"6", std::sync::Arc::new(dict));
    let body =
        format!("35=D|34=2|49=A|52={T}|56=B|1128=6|11=ID|21=1|55=X|54=1|60={T}|38=1|40=2|44=1|");
    assert_eq!(code(run(&mut v, "FIXT.1.1", &body)), ('3', 5, Some(21)));
}

#[test]
fn validator_is_reusable_across_messages() {
    let mut v = Validator::builtin(b"FIX.4.4", None, Options::default()).unwrap();
    for _ in 0..3 {
        assert_eq!(run(&mut v, "FIX.4.4", &nos("")), Ok(()));
        assert_eq!(
            code(run(&mut v, "FIX.4.4", &nos("21=1|"))),
            ('3', 13, Some(21))
        );
        assert_eq!(run(&mut v, "FIX.4.4", &nos("453=1|448=P|")), Ok(()));
    }
}

#[test]
fn unsupported_versus_invalid_msg_type() {
    // A MsgType the dictionary lists as a value of field 35 but does not
    // define is unsupported (35=j 380=3); anything else is invalid (373=11).
    let xml = include_str!("../../spec/FIX44.xml").replacen(
        "<message name='Email' msgtype='C' msgcat='app'>",
        "<message name='Email' msgtype='C2' msgcat='app'>",
        1,
    );
    let dict =
        std::sync::Arc::new(ringfix_codec::dict::Dictionary::parse(&xml, "no-email.xml").unwrap());
    let mut v = Validator::new(dict, Options::default());
    let email = format!("35=C|34=2|49=A|52={T}|56=B|164=1|94=0|147=S|33=1|58=x|");
    assert_eq!(code(run(&mut v, "FIX.4.4", &email)), ('j', 3, None));
    let r = run(&mut v, "FIX.4.4", &email).unwrap_err();
    assert_eq!(
        (r.msg_type(), r.text),
        (&b"j"[..], "Unsupported Message Type")
    );
    assert_eq!(
        code(run(
            &mut v,
            "FIX.4.4",
            &format!("35=ZZ|34=2|49=A|52={T}|56=B|")
        )),
        ('3', 11, None)
    );
    // FIXT: XMLnonFIX (n) is a FIX.5.0SP2 value of 35 without a message
    // there, but the transport dictionary's own admin message (see
    // fixt_xml_non_fix_is_a_transport_message).
    assert_eq!(
        check("FIXT.1.1", &format!("35=n|34=2|49=A|52={T}|56=B|")),
        Ok(())
    );
}

#[test]
fn fixt_body_data_fields_hold_soh() {
    // EncodedText (355) after EncodedTextLen (354) in a FIX.5.0SP2 body.
    let body =
        format!("35=D|34=2|49=A|52={T}|56=B|11=ID|21=1|55=X|54=1|60={T}|38=1|40=2|354=3|355=a|b|");
    assert_eq!(check("FIXT.1.1", &body), Ok(()));
}

#[test]
fn settings() {
    let mut o = Options::default();
    assert!(o.set("ValidateFieldsHaveValues", false) && !o.validate_fields_have_values);
    assert!(o.set("CheckFieldsOutOfOrder", false) && !o.validate_fields_out_of_order);
    assert!(o.set("AllowUnknownMsgFields", true) && o.allow_unknown_msg_fields);
    assert!(!o.set("NoSuchSetting", true));

    let dir = std::env::temp_dir().join(format!("ringfix-settings-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fixt = dir.join("FIXT11.xml");
    let app = dir.join("FIX44.xml");
    std::fs::write(&fixt, include_str!("../../spec/FIXT11.xml")).unwrap();
    std::fs::write(&app, include_str!("../../spec/FIX44.xml")).unwrap();
    let mut v = Validator::from_settings(
        b"FIXT.1.1",
        Some(&fixt),
        &[&app],
        Some(b"6"),
        Options::default(),
    )
    .unwrap();
    assert_eq!(
        v.default_app_dictionary().unwrap().source(),
        app.display().to_string()
    );
    let body = format!("35=D|34=2|49=A|52={T}|56=B|11=ID|21=1|55=X|54=1|60={T}|38=1|40=2|167=BOO|");
    assert_eq!(code(run(&mut v, "FIXT.1.1", &body)), ('3', 5, Some(167)));
    let wrong = Validator::from_settings(b"FIX.4.2", Some(&app), &[], None, Options::default())
        .unwrap_err();
    assert!(wrong.to_string().contains("FIX44.xml"), "{wrong}");
    let not_app = Validator::from_settings(b"FIXT.1.1", None, &[&fixt], None, Options::default())
        .unwrap_err();
    assert!(not_app.to_string().contains("FIXT11.xml"), "{not_app}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn group_required_fields_in_quickfix_order() {
    // Parent instance's required fields come before its nested group's.
    let xml = "<fix major='4' minor='4'><header><field name='BeginString' required='Y'/>\
        <field name='BodyLength' required='Y'/><field name='MsgType' required='Y'/>\
        <field name='SenderCompID' required='Y'/><field name='TargetCompID' required='Y'/>\
        <field name='MsgSeqNum' required='Y'/><field name='SendingTime' required='Y'/></header>\
        <trailer><field name='CheckSum' required='Y'/></trailer><messages>\
        <message name='M' msgtype='U1'><group name='NoA' required='Y'><field name='A' required='Y'/>\
        <field name='A2' required='Y'/><group name='NoB' required='Y'><field name='B' required='Y'/>\
        <field name='B2' required='Y'/></group></group></message></messages><components/><fields>\
        <field number='8' name='BeginString' type='STRING'/><field number='9' name='BodyLength' type='LENGTH'/>\
        <field number='35' name='MsgType' type='STRING'/><field number='49' name='SenderCompID' type='STRING'/>\
        <field number='56' name='TargetCompID' type='STRING'/><field number='34' name='MsgSeqNum' type='SEQNUM'/>\
        <field number='52' name='SendingTime' type='UTCTIMESTAMP'/><field number='10' name='CheckSum' type='STRING'/>\
        <field number='5001' name='NoA' type='NUMINGROUP'/><field number='5002' name='A' type='INT'/>\
        <field number='5003' name='A2' type='INT'/><field number='5004' name='NoB' type='NUMINGROUP'/>\
        <field number='5005' name='B' type='INT'/><field number='5006' name='B2' type='INT'/></fields></fix>";
    let dict =
        std::sync::Arc::new(ringfix_codec::dict::Dictionary::parse(xml, "nested.xml").unwrap());
    let mut v = Validator::new(dict, Options::default());
    let h = format!("35=U1|34=2|49=A|52={T}|56=B|");
    let ok = format!("{h}5001=1|5002=1|5003=1|5004=1|5005=1|5006=1|");
    assert_eq!(run(&mut v, "FIX.4.4", &ok), Ok(()));
    let both = format!("{h}5001=1|5002=1|5004=1|5005=1|");
    assert_eq!(code(run(&mut v, "FIX.4.4", &both)), ('3', 1, Some(5003)));
    let nested = format!("{h}5001=1|5002=1|5003=1|5004=1|5005=1|");
    assert_eq!(code(run(&mut v, "FIX.4.4", &nested)), ('3', 1, Some(5006)));
    let second = format!("{h}5001=2|5002=1|5003=1|5004=1|5005=1|5002=2|");
    assert_eq!(code(run(&mut v, "FIX.4.4", &second)), ('3', 1, Some(5006)));
}

#[test]
fn groups_nested_deeper_than_the_fast_path_follows() {
    // Eight levels (the fast path follows six, then leaves the message to
    // the exact pass): a valid message passes, a wrong count gets the
    // exact pass's reject, and both agree with the exact pass alone.
    const LEVELS: u32 = 8;
    let mut groups = String::new();
    let mut fields = String::new();
    for l in (0..LEVELS).rev() {
        let (count, member) = (6000 + 2 * l, 6001 + 2 * l);
        groups = format!(
            "<group name='No{l}' required='Y'><field name='F{l}' required='Y'/>{groups}</group>"
        );
        fields += &format!(
            "<field number='{count}' name='No{l}' type='NUMINGROUP'/>\
             <field number='{member}' name='F{l}' type='INT'/>"
        );
    }
    let xml = format!(
        "<fix major='4' minor='4'><header><field name='BeginString' required='Y'/>\
        <field name='BodyLength' required='Y'/><field name='MsgType' required='Y'/>\
        <field name='SenderCompID' required='Y'/><field name='TargetCompID' required='Y'/>\
        <field name='MsgSeqNum' required='Y'/><field name='SendingTime' required='Y'/></header>\
        <trailer><field name='CheckSum' required='Y'/></trailer><messages>\
        <message name='M' msgtype='U1'>{groups}</message></messages><components/><fields>\
        <field number='8' name='BeginString' type='STRING'/><field number='9' name='BodyLength' type='LENGTH'/>\
        <field number='35' name='MsgType' type='STRING'/><field number='49' name='SenderCompID' type='STRING'/>\
        <field number='56' name='TargetCompID' type='STRING'/><field number='34' name='MsgSeqNum' type='SEQNUM'/>\
        <field number='52' name='SendingTime' type='UTCTIMESTAMP'/><field number='10' name='CheckSum' type='STRING'/>\
        {fields}</fields></fix>"
    );
    let dict =
        std::sync::Arc::new(ringfix_codec::dict::Dictionary::parse(&xml, "deep.xml").unwrap());
    let mut v = Validator::new(dict, Options::default());
    let h = format!("35=U1|34=2|49=A|52={T}|56=B|");
    let mut ok = h.clone();
    for l in 0..LEVELS {
        ok += &format!("{}=1|{}=1|", 6000 + 2 * l, 6001 + 2 * l);
    }
    assert_eq!(run(&mut v, "FIX.4.4", &ok), Ok(()));
    // The top-level count claims two instances: the exact pass's reject.
    let wrong = ok.replacen("6000=1|", "6000=2|", 1);
    assert_eq!(code(run(&mut v, "FIX.4.4", &wrong)), ('3', 16, Some(6000)));
    for body in [&ok, &wrong] {
        let msg = raw("FIX.4.4", body);
        let mut parser = Parser::new();
        let view = parser.parse(&msg).expect("parses");
        assert_eq!(v.validate(&view), v.validate_exact(&view), "{body}");
    }
}

#[test]
fn repeat_order_and_boolean_in_every_version() {
    for v in [
        "FIX.4.0", "FIX.4.1", "FIX.4.2", "FIX.4.3", "FIX.4.4", "FIXT.1.1",
    ] {
        assert_eq!(
            code(check(v, &hb("112=x|112=y|"))),
            ('3', 13, Some(112)),
            "{v}"
        );
        let late_header = format!("35=0|112=x|34=2|49=A|52={T}|56=B|");
        assert_eq!(code(check(v, &late_header)), ('3', 14, Some(34)), "{v}");
        let poss_dup = format!("35=0|34=2|43=X|49=A|52={T}|56=B|");
        // PossDupFlag is CHAR (a string for QuickFIX) before FIX.4.2, BOOLEAN after.
        let expected = if v < "FIX.4.2" { 5 } else { 6 };
        assert_eq!(code(check(v, &poss_dup)), ('3', expected, Some(43)), "{v}");
    }
}

/// The validator's fast path (which only says "valid") and its exact pass
/// agree: every message through `validate` (fast path first) gives what
/// `validate_exact` (the exact pass alone) gives, under every option, on
/// valid messages and on mutations of them.
mod fast_path_agrees {
    use super::*;
    use proptest::prelude::*;

    const BASES: &[(&str, &str)] = &[
        ("FIX.4.4", "35=D|34=2|49=A|52=20261124-10:00:00.000|56=B|11=ID|21=1|55=X|54=1|60=20261124-10:00:00.000|38=100|40=2|44=1.5|59=0|1=AC|"),
        ("FIX.4.4", "35=8|34=2|49=A|52=20231103-09:30:00|56=B|37=O|11=C|17=E|150=0|39=0|55=X|54=1|38=100|32=50|31=1.5|151=50|14=50|6=1.5|453=2|448=P|447=D|452=1|802=2|523=S1|803=1|523=S2|803=2|448=Q|447=D|452=2|"),
        ("FIX.4.4", "35=X|34=9|49=A|52=20261124-10:00:00.000|56=B|262=R|268=2|279=0|269=0|55=X|270=1.5|271=100|290=1|279=0|269=1|55=X|270=1.6|271=200|290=2|"),
        ("FIX.4.4", "35=A|34=1|49=A|52=20261124-10:00:00.000|56=B|98=0|108=30|141=Y|"),
        ("FIX.4.4", "35=0|34=7|49=A|52=20261124-10:00:00.000|56=B|627=1|628=H|629=20261124-10:00:00|"),
        ("FIX.4.2", "35=D|34=2|49=A|52=20261124-10:00:00|56=B|11=ID|21=1|55=X|54=1|60=20261124-10:00:00|40=1|5001=x|"),
        ("FIX.4.0", "35=D|34=2|49=A|52=20261124-10:00:00|56=B|11=ID|21=1|55=X|54=1|38=100|40=1|"),
        ("FIXT.1.1", "35=D|34=2|49=A|52=20261124-10:00:00.000|56=B|11=ID|55=X|54=1|60=20261124-10:00:00.000|38=100|40=2|44=1.5|"),
        ("FIXT.1.1", "35=D|34=2|49=A|52=20261124-10:00:00.000|56=B|1128=7|11=ID|55=X|54=1|60=20261124-10:00:00.000|38=100|40=2|"),
        ("FIXT.1.1", "35=5|34=3|49=A|52=20261124-10:00:00.000|56=B|58=bye|"),
    ];

    /// Tags a mutation may put in: header, body, group members, counts,
    /// trailer, undeclared, user-defined.
    const TAGS: &[u32] = &[
        8, 9, 35, 34, 43, 49, 52, 56, 97, 115, 122, 627, 628, 1128, 1, 11, 21, 37, 38, 40, 44, 54,
        55, 58, 59, 60, 98, 108, 141, 150, 262, 268, 269, 279, 447, 448, 452, 453, 523, 802, 803,
        89, 93, 10, 999, 4999, 5001, 9999,
    ];
    const VALUES: &[&str] = &[
        "",
        "0",
        "1",
        "2",
        "Y",
        "N",
        "Z",
        "-1",
        "1.5",
        "1.",
        ".",
        "abc",
        "100",
        "20261124-10:00:00",
        "20261124-10:00:00.000",
        "20261324-10:00:00",
        "D",
        "8",
    ];

    #[derive(Debug, Clone)]
    enum Edit {
        Delete(usize),
        Duplicate(usize),
        Swap(usize, usize),
        Tag(usize, usize),
        Value(usize, usize),
        Insert(usize, usize, usize),
    }

    fn edit() -> impl Strategy<Value = Edit> {
        let n = 40usize;
        prop_oneof![
            (0..n).prop_map(Edit::Delete),
            (0..n).prop_map(Edit::Duplicate),
            (0..n, 0..n).prop_map(|(a, b)| Edit::Swap(a, b)),
            (0..n, 0..TAGS.len()).prop_map(|(a, t)| Edit::Tag(a, t)),
            (0..n, 0..VALUES.len()).prop_map(|(a, v)| Edit::Value(a, v)),
            (0..n, 0..TAGS.len(), 0..VALUES.len()).prop_map(|(a, t, v)| Edit::Insert(a, t, v)),
        ]
    }

    fn apply(body: &str, edits: &[Edit]) -> String {
        // MsgType stays first so the message frames.
        let mut fields: Vec<(String, String)> = body
            .trim_end_matches('|')
            .split('|')
            .map(|f| {
                let (t, v) = f.split_once('=').unwrap();
                (t.to_owned(), v.to_owned())
            })
            .collect();
        for e in edits {
            let n = fields.len();
            let at = |i: usize| 1 + i % (n - 1).max(1);
            match *e {
                Edit::Delete(i) if n > 2 => {
                    fields.remove(at(i));
                }
                Edit::Duplicate(i) => {
                    let f = fields[at(i).min(n - 1)].clone();
                    fields.insert(at(i + 3).min(fields.len()), f);
                }
                Edit::Swap(a, b) if n > 2 => fields.swap(at(a), at(b)),
                Edit::Tag(i, t) if n > 1 => fields[at(i).min(n - 1)].0 = TAGS[t].to_string(),
                Edit::Value(i, v) if n > 1 => fields[at(i).min(n - 1)].1 = VALUES[v].to_owned(),
                Edit::Insert(i, t, v) => {
                    let f = (TAGS[t].to_string(), VALUES[v].to_owned());
                    fields.insert(at(i).min(fields.len()), f);
                }
                _ => {}
            }
        }
        fields
            .iter()
            .filter(|(t, _)| !matches!(t.as_str(), "8" | "9" | "10") || fields.len() < 3)
            .map(|(t, v)| format!("{t}={v}|"))
            .collect()
    }

    fn options(bits: u8) -> Options {
        let on = |i: u8| bits & (1 << i) != 0;
        Options {
            validate_fields_have_values: !on(0),
            validate_fields_out_of_order: !on(1),
            validate_user_defined_fields: !on(2),
            allow_unknown_msg_fields: on(3),
            strict_date_formats: on(4),
            allow_unknown_enum_values: on(5),
            ..Options::default()
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn on_mutations(
            base in 0..BASES.len(),
            edits in proptest::collection::vec(edit(), 0..4),
            bits in 0u8..64,
        ) {
            let (begin, body) = BASES[base];
            let body = apply(body, &edits);
            let msg = raw(begin, &body);
            let mut parser = Parser::new();
            let Ok(view) = parser.parse(&msg) else { return Ok(()) };
            let appl = (begin == "FIXT.1.1").then_some(&b"9"[..]);
            let mut v = Validator::builtin(begin.as_bytes(), appl, options(bits)).unwrap();
            let exact = v.validate_exact(&view);
            prop_assert_eq!(v.validate(&view), exact, "{}", body);
        }
    }

    #[test]
    fn on_every_base_unmutated() {
        for &(begin, body) in BASES {
            for bits in 0..64 {
                let msg = raw(begin, body);
                let mut parser = Parser::new();
                let view = parser.parse(&msg).unwrap();
                let appl = (begin == "FIXT.1.1").then_some(&b"9"[..]);
                let mut v = Validator::builtin(begin.as_bytes(), appl, options(bits)).unwrap();
                let exact = v.validate_exact(&view);
                assert_eq!(v.validate(&view), exact, "{body} {bits}");
                // Valid under the defaults, but for an undeclared user-defined tag.
                if bits == 0 && !body.contains("5001=") {
                    assert_eq!(exact, Ok(()), "{body}");
                }
            }
        }
    }
}

#[test]
fn fixt_xml_non_fix_is_a_transport_message() {
    // FIXT.1.1 declares XMLnonFIX (35=n) msgcat="admin" and no application
    // dictionary has it: its body is checked against the transport
    // dictionary, with or without an ApplVerID.
    let n = format!("35=n|34=2|49=A|52={T}|56=B|");
    assert_eq!(check("FIXT.1.1", &n), Ok(()));
    assert_eq!(
        check("FIXT.1.1", &n.replace("56=B|", "56=B|1128=9|")),
        Ok(())
    );
    assert_eq!(
        check("FIXT.1.1", &n.replace("56=B|", "56=B|1128=7|")),
        Ok(())
    );
    // A tag the transport dictionary does not define is still found.
    assert_eq!(
        code(check("FIXT.1.1", &format!("{n}11=ID|"))),
        ('3', 0, Some(11))
    );
}
