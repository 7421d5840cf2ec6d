//! Helpers shared by the integration tests.
#![allow(dead_code)]

/// `|` -> SOH.
pub fn soh(s: &str) -> Vec<u8> {
    s.bytes().map(|b| if b == b'|' { 1 } else { b }).collect()
}

/// Build a message from `begin` and a `|`-separated body, computing 9 and 10.
pub fn msg(begin: &str, body: &str) -> Vec<u8> {
    let body = soh(body);
    let mut m = format!("8={begin}\x019={}\x01", body.len()).into_bytes();
    m.extend_from_slice(&body);
    let sum = m.iter().fold(0u8, |a, b| a.wrapping_add(*b));
    m.extend_from_slice(format!("10={sum:03}\x01").as_bytes());
    m
}

/// Like [`msg`] but with an explicit (possibly wrong) BodyLength.
pub fn msg_with_len(begin: &str, body: &str, len: usize) -> Vec<u8> {
    let body = soh(body);
    let mut m = format!("8={begin}\x019={len}\x01").into_bytes();
    m.extend_from_slice(&body);
    let sum = m.iter().fold(0u8, |a, b| a.wrapping_add(*b));
    m.extend_from_slice(format!("10={sum:03}\x01").as_bytes());
    m
}

/// Replace SOH by `|` for readable assertions.
pub fn show(b: &[u8]) -> String {
    b.iter()
        .map(|&c| if c == 1 { '|' } else { c as char })
        .collect()
}
