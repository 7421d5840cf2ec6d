//! Parser and comparator for QuickFIX `.def` acceptance scripts (format in
//! `tests/conformance/README.md`), used by the sans-IO runner in
//! `engine/tests`, the TCP conformance runner and the fuzz seed generator.

use std::fmt::Write as _;

/// The field separator.
pub const SOH: u8 = 0x01;

/// One script line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// `iCONNECT`: open connection.
    Connect,
    /// `iDISCONNECT`: close our side.
    Disconnect,
    /// `eDISCONNECT`: the acceptor must close.
    ExpectDisconnect,
    /// `I<msg>`: send (template: `<TIME>` not yet substituted).
    Send(String),
    /// `E<msg>`: expect (template).
    Expect(String),
}

/// A step: connection number (1 when not given), action, 1-based line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// Connection number.
    pub conn: u32,
    /// What to do.
    pub action: Action,
    /// Line in the file.
    pub line: usize,
}

/// Splits `N,rest` into (N, rest); no prefix means connection 1.
fn conn_prefix(s: &str) -> (u32, &str) {
    if let Some((n, rest)) = s.split_once(',') {
        if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) {
            return (n.parse().unwrap_or(1), rest);
        }
    }
    (1, s)
}

/// Parses a script. Unknown lines are errors.
pub fn parse_script(text: &str) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let (kind, rest) = line.split_at(1);
        let (conn, body) = conn_prefix(rest);
        let action = match (kind, body) {
            ("i", "CONNECT") => Action::Connect,
            ("i", "DISCONNECT") => Action::Disconnect,
            ("e", "DISCONNECT") => Action::ExpectDisconnect,
            ("I", m) => Action::Send(m.to_owned()),
            ("E", m) => Action::Expect(m.to_owned()),
            _ => return Err(format!("line {}: cannot parse {line:?}", i + 1)),
        };
        steps.push(Step {
            conn,
            action,
            line: i + 1,
        });
    }
    Ok(steps)
}

/// Formats seconds since the epoch as `YYYYMMDD-HH:MM:SS`.
pub fn format_time(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}-{:02}:{:02}:{:02}",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    )
}

/// Replaces `<TIME>`, `<TIME+N>`, `<TIME-N>` with `now_secs` (+/- N).
pub fn substitute_time(template: &str, now_secs: i64) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(i) = rest.find("<TIME") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 5..];
        let Some(close) = after.find('>') else {
            out.push_str(&rest[i..]);
            return out;
        };
        let offset: i64 = match &after[..close] {
            "" => 0,
            s => s.trim_start_matches('+').parse().unwrap_or(0),
        };
        out.push_str(&format_time(now_secs + offset));
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Fields `(tag text, value)` of a SOH-separated message.
pub fn split_fields(msg: &[u8]) -> Vec<(String, Vec<u8>)> {
    msg.split(|&b| b == SOH)
        .filter(|f| !f.is_empty())
        .map(|f| match f.iter().position(|&b| b == b'=') {
            Some(eq) => (
                String::from_utf8_lossy(&f[..eq]).into_owned(),
                f[eq + 1..].to_vec(),
            ),
            None => (String::from_utf8_lossy(f).into_owned(), Vec::new()),
        })
        .collect()
}

/// Wire bytes of a script message: BodyLength (after BeginString) and
/// CheckSum (last) inserted when missing; fields kept as written otherwise.
pub fn to_wire(msg: &str) -> Vec<u8> {
    let fields = split_fields(msg.as_bytes());
    let has_len = fields.iter().any(|(t, _)| t == "9");
    let has_sum = fields.iter().any(|(t, _)| t == "10");
    let mut body: Vec<u8> = Vec::new();
    let mut head: Vec<u8> = Vec::new();
    let mut tail: Vec<u8> = Vec::new();
    for (i, (tag, value)) in fields.iter().enumerate() {
        let mut f = Vec::with_capacity(tag.len() + value.len() + 2);
        f.extend_from_slice(tag.as_bytes());
        f.push(b'=');
        f.extend_from_slice(value);
        f.push(SOH);
        if i == 0 && tag == "8" {
            head.extend(f);
        } else if tag == "10" {
            tail.extend(f);
        } else {
            body.extend(f);
        }
    }
    let mut out = head;
    if !has_len {
        out.extend_from_slice(format!("9={}", body.len()).as_bytes());
        out.push(SOH);
    }
    out.extend(body);
    if has_sum {
        out.extend(tail);
    } else {
        let sum = out.iter().map(|&b| u32::from(b)).sum::<u32>() % 256;
        out.extend_from_slice(format!("10={sum:03}").as_bytes());
        out.push(SOH);
    }
    out
}

// ---- a small regular-expression matcher (the subset fields.fmt uses:
// literals, `\d`, `.`, `[...]`, `{n}`, `{n,m}`, `*`, `+`, `?`, `|`) ----

#[derive(Clone, Debug)]
enum Class {
    Digit,
    Any,
    Set(Vec<u8>),
    Lit(u8),
}

#[derive(Clone, Debug)]
struct Atom {
    class: Class,
    min: usize,
    max: usize,
}

impl Class {
    fn matches(&self, b: u8) -> bool {
        match self {
            Class::Digit => b.is_ascii_digit(),
            Class::Any => true,
            Class::Set(s) => s.contains(&b),
            Class::Lit(c) => *c == b,
        }
    }
}

/// A compiled pattern: alternatives of atom sequences; matches anywhere in
/// the value (like Ruby's `=~`, which the QuickFIX runner uses).
#[derive(Clone, Debug)]
pub struct Pattern {
    alts: Vec<Vec<Atom>>,
}

impl Pattern {
    /// Compiles `src`.
    pub fn new(src: &str) -> Result<Self, String> {
        let b = src.as_bytes();
        let mut alts = vec![Vec::new()];
        let mut i = 0;
        while i < b.len() {
            let class = match b[i] {
                b'|' => {
                    alts.push(Vec::new());
                    i += 1;
                    continue;
                }
                b'\\' => {
                    i += 1;
                    match b.get(i) {
                        Some(b'd') => Class::Digit,
                        Some(&c) => Class::Lit(c),
                        None => return Err(format!("dangling escape in {src}")),
                    }
                }
                b'.' => Class::Any,
                b'[' => {
                    let end = b[i..].iter().position(|&c| c == b']').ok_or("unclosed [")? + i;
                    let set = b[i + 1..end].to_vec();
                    i = end;
                    Class::Set(set)
                }
                c => Class::Lit(c),
            };
            i += 1;
            let (mut min, mut max) = (1, 1);
            match b.get(i) {
                Some(b'{') => {
                    let end = b[i..].iter().position(|&c| c == b'}').ok_or("unclosed {")? + i;
                    let spec = std::str::from_utf8(&b[i + 1..end]).map_err(|e| e.to_string())?;
                    let (lo, hi) = match spec.split_once(',') {
                        Some((lo, hi)) => (lo, hi),
                        None => (spec, spec),
                    };
                    min = lo.parse().map_err(|_| format!("bad repeat {spec}"))?;
                    max = if hi.is_empty() {
                        usize::MAX
                    } else {
                        hi.parse().map_err(|_| format!("bad repeat {spec}"))?
                    };
                    i = end + 1;
                }
                Some(b'*') => (min, max, i) = (0, usize::MAX, i + 1),
                Some(b'+') => (min, max, i) = (1, usize::MAX, i + 1),
                Some(b'?') => (min, max, i) = (0, 1, i + 1),
                _ => {}
            }
            alts.last_mut()
                .ok_or("empty")?
                .push(Atom { class, min, max });
        }
        Ok(Self { alts })
    }

    fn match_at(atoms: &[Atom], s: &[u8]) -> bool {
        let Some((first, rest)) = atoms.split_first() else {
            return true;
        };
        let mut n = 0;
        while n < first.min {
            match s.get(n) {
                Some(&c) if first.class.matches(c) => n += 1,
                _ => return false,
            }
        }
        loop {
            if Self::match_at(rest, &s[n..]) {
                return true;
            }
            if n >= first.max {
                return false;
            }
            match s.get(n) {
                Some(&c) if first.class.matches(c) => n += 1,
                _ => return false,
            }
        }
    }

    /// Whether the pattern matches somewhere in `value`.
    pub fn is_match(&self, value: &[u8]) -> bool {
        self.alts
            .iter()
            .any(|alt| (0..=value.len()).any(|start| Self::match_at(alt, &value[start..])))
    }
}

/// `fields.fmt`: tags whose values are compared by pattern.
#[derive(Clone, Debug, Default)]
pub struct FieldFormats {
    formats: Vec<(String, Pattern)>,
}

impl FieldFormats {
    /// Parses `tag=regex` lines.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut formats = Vec::new();
        for line in text.lines() {
            let line = line.trim_end_matches('\r');
            if line.is_empty() {
                continue;
            }
            let (tag, re) = line
                .split_once('=')
                .ok_or_else(|| format!("bad fields.fmt line {line:?}"))?;
            formats.push((tag.to_owned(), Pattern::new(re)?));
        }
        Ok(Self { formats })
    }

    fn pattern(&self, tag: &str) -> Option<&Pattern> {
        self.formats.iter().find(|(t, _)| t == tag).map(|(_, p)| p)
    }
}

fn show(v: &[u8]) -> String {
    String::from_utf8_lossy(v).replace('\x01', "|")
}

/// Compares an expected message (wire form, see [`to_wire`]) with what
/// arrived: same fields in the same order, values equal except the tags in
/// `formats` (pattern match); BodyLength exact. `Err` is a field-level diff.
pub fn compare(expected: &[u8], actual: &[u8], formats: &FieldFormats) -> Result<(), String> {
    let e = split_fields(expected);
    let a = split_fields(actual);
    let mut diff = String::new();
    for i in 0..e.len().max(a.len()) {
        match (e.get(i), a.get(i)) {
            (Some((et, ev)), Some((at, av))) => {
                if et != at {
                    let _ = writeln!(
                        diff,
                        "  field {i}: expected tag {et}={}, got {at}={}",
                        show(ev),
                        show(av)
                    );
                    continue;
                }
                let ok = match formats.pattern(et) {
                    Some(p) if et != "9" => p.is_match(av),
                    _ => ev == av,
                };
                if !ok {
                    let _ = writeln!(diff, "  tag {et}: expected {}, got {}", show(ev), show(av));
                }
            }
            (Some((et, ev)), None) => {
                let _ = writeln!(diff, "  missing {et}={}", show(ev));
            }
            (None, Some((at, av))) => {
                let _ = writeln!(diff, "  unexpected {at}={}", show(av));
            }
            (None, None) => {}
        }
    }
    if diff.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "expected {}\n     got {}\n{diff}",
            show(expected),
            show(actual)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_steps_with_connection_numbers() {
        let s =
            parse_script("# c\n\niCONNECT\nI1,8=FIX.4.4\x0135=A\x01\ne2,DISCONNECT\nE8=X\x01\n")
                .unwrap();
        assert_eq!(s.len(), 4);
        assert_eq!(s[1].conn, 1);
        assert_eq!(
            s[2],
            Step {
                conn: 2,
                action: Action::ExpectDisconnect,
                line: 5
            }
        );
    }

    #[test]
    fn time_substitution() {
        assert_eq!(substitute_time("52=<TIME>|", 0), "52=19700101-00:00:00|");
        assert_eq!(
            substitute_time("<TIME+10>,<TIME-1>", 60),
            "19700101-00:01:10,19700101-00:00:59"
        );
    }

    #[test]
    fn wire_inserts_length_and_checksum() {
        let w = to_wire("8=FIX.4.4\x0135=0\x0134=2\x0149=ISLD\x01");
        assert_eq!(
            w,
            b"8=FIX.4.4\x019=18\x0135=0\x0134=2\x0149=ISLD\x0110=133\x01".to_vec()
        );
        // Present values are kept, even wrong ones.
        let w = to_wire("8=FIX.4.4\x019=5\x0135=0\x0110=000\x01");
        assert_eq!(w, b"8=FIX.4.4\x019=5\x0135=0\x0110=000\x01".to_vec());
    }

    #[test]
    fn patterns_and_compare() {
        let f = FieldFormats::parse(
            "10=\\d{3}\n52=\\d{8}-\\d{2}:\\d{2}:\\d{2}|\\d{8}-\\d{2}:\\d{2}:\\d{2}[.]\\d{3}\n",
        )
        .unwrap();
        assert!(f.pattern("52").unwrap().is_match(b"20260101-00:00:00.123"));
        assert!(!f.pattern("52").unwrap().is_match(b"2026010-00:00:00"));
        let e = b"8=FIX.4.4\x019=5\x0152=00000000-00:00:00.000\x0110=000\x01";
        let a = b"8=FIX.4.4\x019=5\x0152=20260101-10:11:12.131\x0110=123\x01";
        assert!(compare(e, a, &f).is_ok());
        let bad = b"8=FIX.4.4\x019=6\x0152=20260101-10:11:12.131\x0110=123\x01";
        let err = compare(e, bad, &f).unwrap_err();
        assert!(err.contains("tag 9"), "{err}");
        let short = b"8=FIX.4.4\x019=5\x01";
        assert!(compare(e, short, &f).unwrap_err().contains("missing 52"));
    }
}
