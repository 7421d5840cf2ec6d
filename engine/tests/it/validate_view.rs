//! The session's dictionary check walks the codec's parsed view when the
//! message came from one, with the same verdicts as the raw-bytes path.

use ringfix_codec::dict::{Options, Validator as DictValidator};
use ringfix_codec::Parser;
use ringfix_engine::session::{Incoming, Validator};

fn wire(body: &str) -> Vec<u8> {
    let body = body.replace('|', "\x01");
    let mut m = format!("8=FIX.4.4\x019={}\x01{body}", body.len()).into_bytes();
    let sum = m.iter().map(|&b| u32::from(b)).sum::<u32>() % 256;
    m.extend_from_slice(format!("10={sum:03}\x01").as_bytes());
    m
}

#[test]
fn view_and_bytes_paths_agree() {
    let good = wire("35=D|34=2|49=A|52=20260101-00:00:00.000|56=B|11=X|21=1|38=100|40=2|44=10.5|54=1|55=INTC|60=20260101-00:00:00.000|");
    // Side (54) missing; an undefined tag 9999.
    let bad = wire("35=D|34=2|49=A|52=20260101-00:00:00.000|56=B|11=X|21=1|38=100|40=2|44=10.5|55=INTC|60=20260101-00:00:00.000|");
    let odd = wire("35=D|34=2|49=A|52=20260101-00:00:00.000|56=B|9999=1|11=X|21=1|38=100|40=2|44=10.5|54=1|55=INTC|60=20260101-00:00:00.000|");
    let mut v = DictValidator::builtin(b"FIX.4.4", None, Options::default()).unwrap();
    let mut parser = Parser::new();
    for msg in [&good, &bad, &odd] {
        let view = parser.parse(msg).unwrap();
        let from_view = Incoming::from_view(&view);
        let a = Validator::validate(&mut v, &from_view);
        let b = v.validate_bytes(msg);
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
    }
    let view = parser.parse(&bad).unwrap();
    assert!(Validator::validate(&mut v, &Incoming::from_view(&view)).is_err());
    let view = parser.parse(&good).unwrap();
    assert!(Validator::validate(&mut v, &Incoming::from_view(&view)).is_ok());
}
