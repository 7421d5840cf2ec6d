//! Instruction counts of parse vs validate for the bench's `nos` (and `er`):
//! `valgrind --tool=callgrind --toggle-collect=validate_cost::run_*
//! target/release/examples/validate_cost [N]` and compare the two
//! functions' inclusive counts (each runs the operation N times).
use ringfix_codec::dict::{Options, Validator};
use ringfix_codec::{MessageView, Parsed, Parser};
use std::hint::black_box;

fn wire(body: &str) -> Vec<u8> {
    let body = body.replace('|', "\x01");
    let mut msg = format!("8=FIX.4.4\x019={}\x01{body}", body.len()).into_bytes();
    let sum = msg.iter().fold(0u8, |a, &b| a.wrapping_add(b));
    msg.extend_from_slice(format!("10={sum:03}\x01").as_bytes());
    msg
}

const NOS: &str = "35=D|34=2|49=INIT|52=20261124-10:00:00.000|56=ACC|11=ORD0000000001|21=1|55=MSFT|54=1|60=20261124-10:00:00.000|38=100|40=2|44=123.45|59=0|1=ACCOUNT01|";
const ER: &str = "35=8|34=2|49=Broker|52=20231103-09:30:00|56=Client|37=OID12345|11=Order12345|17=Exec12345|150=0|39=0|55=APPL|54=1|38=100|32=50|31=150|151=50|14=50|6=150|453=2|448=PARTYA|447=D|452=1|802=2|523=SUBPARTYA1|803=1|523=SUBPARTYA2|803=2|448=PARTYB|447=D|452=2|";

#[inline(never)]
fn run_parse(p: &mut Parser, msg: &[u8], n: usize) {
    for _ in 0..n {
        if let Parsed::Message(v) = p.parse_next(black_box(msg)) {
            black_box(v.len());
        }
    }
}

#[inline(never)]
fn run_validate(v: &mut Validator, view: &MessageView<'_>, n: usize) {
    for _ in 0..n {
        black_box(v.validate(black_box(view)).is_ok());
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let mut v = Validator::builtin(b"FIX.4.4", None, Options::default())?;
    let mut p = Parser::new();
    let only = std::env::args().nth(2);
    let hb = "35=0|34=7|49=INIT|52=20261124-10:00:00.000|56=ACC|";
    for (name, body) in [("nos", NOS), ("er", ER), ("hb", hb)] {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let msg = wire(body);
        run_parse(&mut p, &msg, n);
        let mut q = Parser::new();
        let view = q.parse(&msg)?;
        v.validate(&view)
            .map_err(|r| format!("{name} does not validate: {r:?}"))?;
        run_validate(&mut v, &view, n);
    }
    Ok(())
}
