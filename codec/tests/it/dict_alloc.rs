//! Validation allocates nothing per message once the validator is warm.

use ringfix_codec::dict::{Options, Validator};
use ringfix_codec::Parser;

use ringfix_testkit::alloc as alloc_support;

use alloc_support::allocs;

fn raw(begin: &str, body: &str) -> Vec<u8> {
    let body = body.replace('|', "\x01");
    let mut m = format!("8={begin}\x019={}\x01{body}", body.len()).into_bytes();
    let sum = m.iter().fold(0u8, |a, &b| a.wrapping_add(b));
    m.extend_from_slice(format!("10={sum:03}\x01").as_bytes());
    m
}

#[test]
fn no_allocation_per_message() {
    let t = "20261124-10:00:00.000";
    let cases = [
        ("FIX.4.4", format!("35=D|34=2|49=A|52={t}|56=B|11=ID|21=1|55=X|54=1|60={t}|38=1|40=2|453=1|448=P|447=D|452=1|")),
        ("FIX.4.4", format!("35=D|34=2|49=A|52={t}|56=B|11=ID|21=4|999=x|5000=y|5000=z|")),
        ("FIXT.1.1", format!("35=D|34=2|49=A|52={t}|56=B|1128=6|11=ID|21=1|55=X|54=1|60={t}|38=1|40=2|")),
        ("FIXT.1.1", format!("35=0|34=2|49=A|52={t}|56=B|58=x|")),
    ];
    for (begin, body) in &cases {
        let msg = raw(begin, body);
        let mut v = Validator::builtin(begin.as_bytes(), Some(b"9"), Options::default()).unwrap();
        let mut parser = Parser::new();
        let view = parser.parse(&msg).unwrap();
        let first = v.validate(&view);
        let _ = v.validate_bytes(&msg);
        let before = allocs();
        for _ in 0..100 {
            assert_eq!(v.validate(&view), first);
            assert_eq!(v.validate_bytes(&msg), first);
        }
        assert_eq!(allocs() - before, 0, "{begin} {body}");
    }
}
