//! Naming rules: the contract between a dictionary and the generated API.
//!
//! - Messages keep the dictionary's name (`NewOrderSingle`); their module
//!   is its snake_case (`new_order_single`).
//! - Getters and setters are the field name in snake_case (`orig_cl_ord_id`,
//!   `no_md_entries`): a `_` before an upper-case letter that follows a
//!   lower-case letter or a digit, or that starts a word after an acronym
//!   (`MDEntryPx` -> `md_entry_px`), a lone `s` closing an acronym staying
//!   with it (`NoPartyIDs` -> `no_party_ids`).
//! - Enums are named as their field; variants are the value description in
//!   CamelCase (`PARTIALLY_FILLED` -> `PartiallyFilled`): words split at
//!   anything not a letter or digit, an all-capitals word capitalized
//!   (`BUY` -> `Buy`), a mixed-case word kept with its first letter raised.
//! - One escape for names that cannot be used as they are: a Rust keyword
//!   or a name the generated code reserves gets a trailing `_` (`Yield` ->
//!   `yield_`, a message named `Message` -> `Message_`); a name starting with
//!   a digit gets a leading `_`.
//! - Two values whose descriptions give the same variant name (or the name
//!   of the unknown-bytes variant, `Unknown`) both carry their wire value
//!   appended: ASCII letters and digits as they are, any other byte as `_`
//!   and two hex digits (`-1` -> `_2d1`).

/// Rust's keywords (strict, reserved and the 2018+ ones).
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// The name of an enum's variant for bytes the dictionary does not list.
pub const UNKNOWN: &str = "Unknown";

/// `name` with the escape applied when it is a keyword or in `reserved`.
pub fn escape(name: String, reserved: &[&str]) -> String {
    let name = match name.chars().next() {
        Some(c) if c.is_ascii_digit() => format!("_{name}"),
        None => "_".to_string(),
        _ => name,
    };
    if KEYWORDS.contains(&name.as_str()) || reserved.contains(&name.as_str()) {
        format!("{name}_")
    } else {
        name
    }
}

/// `MsgSeqNum` -> `msg_seq_num`, `NoMDEntries` -> `no_md_entries` (no escape).
pub fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    let mut s = String::with_capacity(chars.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|p| chars.get(p)).copied();
        let next = chars.get(i + 1).copied();
        if c.is_ascii_uppercase() && i > 0 {
            let after_lower = prev.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit());
            // `IDSource`: a word starts after an acronym; but `IDs` is a
            // plural acronym (a lone `s` closing it), not a word.
            let after = chars.get(i + 2).copied();
            let plural = next == Some('s') && after.is_none_or(|a| !a.is_ascii_lowercase());
            let acronym_end = prev.is_some_and(|p| p.is_ascii_uppercase())
                && next.is_some_and(|n| n.is_ascii_lowercase())
                && !plural;
            if after_lower || acronym_end {
                s.push('_');
            }
        }
        s.push(c.to_ascii_lowercase());
    }
    s
}

/// `snake` in capitals, for statics: `NoPartyIDs` -> `NO_PARTY_IDS`.
pub fn upper(name: &str) -> String {
    snake(name).to_ascii_uppercase()
}

/// `PARTIALLY_FILLED` -> `PartiallyFilled`, `ExchangeSymbol` -> `ExchangeSymbol` (no escape).
pub fn camel(description: &str) -> String {
    let mut s = String::with_capacity(description.len());
    for word in description
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let shout = !word.chars().any(|c| c.is_ascii_lowercase());
        for (i, c) in word.chars().enumerate() {
            s.push(match (i, shout) {
                (0, _) => c.to_ascii_uppercase(),
                (_, true) => c.to_ascii_lowercase(),
                (_, false) => c,
            });
        }
    }
    s
}

/// A wire value as an identifier suffix (injective: `_` only escapes).
pub fn wire_suffix(wire: &[u8]) -> String {
    let mut s = String::with_capacity(wire.len());
    for &b in wire {
        if b.is_ascii_alphanumeric() {
            s.push(char::from(b));
        } else {
            s.push_str(&format!("_{b:02x}"));
        }
    }
    s
}

/// Variant names for an enum's `(wire, description)` values, in the same
/// order: CamelCase descriptions, colliding ones (and `Unknown`) with the
/// wire value appended.
pub fn variants(values: &[(&[u8], &str)]) -> Vec<String> {
    let base: Vec<String> = values
        .iter()
        .map(|(wire, d)| match camel(d) {
            c if c.is_empty() => format!("Value{}", wire_suffix(wire)),
            c => c,
        })
        .collect();
    base.iter()
        .zip(values)
        .map(|(b, (wire, _))| {
            let clash = b == UNKNOWN || base.iter().filter(|o| *o == b).count() > 1;
            let name = if clash {
                format!("{b}{}", wire_suffix(wire))
            } else {
                b.clone()
            };
            escape(name, &[])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_rules() {
        assert_eq!(snake("OrigClOrdID"), "orig_cl_ord_id");
        assert_eq!(snake("NoMDEntries"), "no_md_entries");
        assert_eq!(snake("MDEntryPx"), "md_entry_px");
        assert_eq!(snake("SecurityIDSource"), "security_id_source");
        assert_eq!(snake("OrderQty2"), "order_qty2");
        assert_eq!(snake("NewOrderSingle"), "new_order_single");
        assert_eq!(snake("IOI"), "ioi");
        assert_eq!(snake("NoPartyIDs"), "no_party_ids");
        assert_eq!(snake("NoPartySubIDs"), "no_party_sub_ids");
        assert_eq!(snake("IDsSource"), "ids_source");
        assert_eq!(snake("NoSides"), "no_sides");
        assert_eq!(snake("CFICode"), "cfi_code");
        assert_eq!(upper("NoPartyIDs"), "NO_PARTY_IDS");
        assert_eq!(escape(snake("Yield"), &[]), "yield_");
        assert_eq!(escape("Message".into(), &["Message"]), "Message_");
        assert_eq!(escape("2Days".into(), &[]), "_2Days");
        assert_eq!(camel("PARTIALLY_FILLED"), "PartiallyFilled");
        assert_eq!(camel("BUY"), "Buy");
        assert_eq!(camel("ExchangeSymbol"), "ExchangeSymbol");
        assert_eq!(camel("Good Till Cancel (GTC)"), "GoodTillCancelGtc");
        assert_eq!(wire_suffix(b"-1"), "_2d1");
        assert_eq!(wire_suffix(b"A1"), "A1");
    }

    #[test]
    fn collisions_carry_their_wire_values() {
        let v = variants(&[
            (b"1", "BUY"),
            (b"2", "buy"),
            (b"3", "SELL"),
            (b"4", "UNKNOWN"),
            (b"5", ""),
            (b"6", "SELF"),
            (b"7", "2_DAYS"),
        ]);
        assert_eq!(
            v,
            ["Buy1", "Buy2", "Sell", "Unknown4", "Value5", "Self_", "_2Days"]
        );
    }
}
