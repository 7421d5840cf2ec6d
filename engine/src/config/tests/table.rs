//! The README's settings table is the one the code generates.

use crate::config::{keys, settings_table, table_problems};

const BEGIN: &str = "<!-- settings table: generated from engine/src/config by \
                     `RINGFIX_BLESS=1 cargo test -p ringfix-engine --lib readme`; do not edit -->\n";
const END: &str = "<!-- end of settings table -->";

#[test]
fn every_implemented_key_has_one_default() {
    assert_eq!(table_problems(), Vec::<String>::new());
}

#[test]
fn table_lists_every_key_once() {
    let table = settings_table();
    for key in keys::all() {
        let row = format!("| `{key}` |");
        assert_eq!(table.matches(&row).count(), 1, "{key}");
    }
    assert!(table
        .contains("| `HeartBtInt` | required (initiator); an acceptor takes the peer's | yes |"));
    assert!(table.contains("| `ReconnectInterval` | 30 | yes |"));
    assert!(table.contains("| `ThreadModel` | — | no effect: "));
    assert!(table.contains("| `JdbcURL` | — | ignored: a JDBC database"));
}

#[test]
fn readme_settings_table_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let (before, rest) = readme
        .split_once(BEGIN)
        .expect("README.md has the settings table's first marker");
    let (current, after) = rest
        .split_once(END)
        .expect("README.md has the settings table's end marker");
    let table = settings_table();
    if current != table {
        if std::env::var_os("RINGFIX_BLESS").is_some() {
            std::fs::write(path, format!("{before}{BEGIN}{table}{END}{after}")).unwrap();
            return;
        }
        panic!(
            "README.md's settings table differs from the code's; rerun with RINGFIX_BLESS=1 \
             to rewrite it"
        );
    }
}
