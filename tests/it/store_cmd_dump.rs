//! `ringfix store dump`: ranges, and the output of `ringfix decode`.
use crate::ops_support;

use ops_support::*;
use serde_json::Value;

fn dump(cfg: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["store", "dump", "--config", cfg];
    args.extend_from_slice(extra);
    ringfix(&args)
}

fn visible(m: &[u8]) -> String {
    String::from_utf8(m.iter().map(|&b| if b == 1 { b'|' } else { b }).collect()).unwrap()
}

#[test]
fn dump_prints_what_decode_prints_for_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = single_config(dir.path());
    fill(dir.path(), "B", 4, 1);
    let journal = files(dir.path(), "B").journal();
    let cfg = cfg.to_str().unwrap();
    for flags in [vec![], vec!["--json"], vec!["-v"]] {
        let d = dump(cfg, &flags);
        assert!(d.status.success(), "{}", stderr(&d));
        let mut args = vec!["decode", journal.to_str().unwrap()];
        args.extend_from_slice(&flags);
        let decoded = ringfix(&args);
        assert!(decoded.status.success(), "{}", stderr(&decoded));
        assert_eq!(stdout(&d), stdout(&decoded), "{flags:?}");
    }
    let lines: Vec<String> = stdout(&dump(cfg, &[])).lines().map(str::to_owned).collect();
    let want: Vec<String> = (1..=4).map(|s| visible(&order(s))).collect();
    assert_eq!(lines, want);
}

#[test]
fn dump_ranges() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = single_config(dir.path());
    fill(dir.path(), "B", 6, 1);
    let cfg = cfg.to_str().unwrap();
    let seqs = |extra: &[&str]| -> Vec<u64> {
        let o = dump(cfg, &[extra, &["--json"]].concat());
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                let fields = v["fields"].as_array().unwrap();
                let f = fields.iter().find(|f| f[0] == 34).unwrap();
                f[1].as_str().unwrap().parse().unwrap()
            })
            .collect()
    };
    assert_eq!(seqs(&[]), vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(seqs(&["--from", "2", "--to", "4"]), vec![2, 3, 4]);
    assert_eq!(seqs(&["--from", "5"]), vec![5, 6]);
    assert_eq!(seqs(&["--to", "1"]), vec![1]);
    assert_eq!(seqs(&["--from", "3", "--to", "3"]), vec![3]);

    let o = dump(cfg, &["--from", "7", "--to", "9"]);
    assert!(o.status.success());
    assert!(stdout(&o).is_empty());
    assert!(
        stderr(&o).contains("no stored message in 7..=9 (stored: 1..=6)"),
        "{}",
        stderr(&o)
    );
    let o = dump(cfg, &["--from", "4", "--to", "2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--to 2 is below --from 4"));
}

#[test]
fn dump_json_lines_have_decode_shape() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = single_config(dir.path());
    fill(dir.path(), "B", 1, 1);
    let o = dump(cfg.to_str().unwrap(), &["--json"]);
    let v: Value = serde_json::from_str(stdout(&o).trim_end()).unwrap();
    assert_eq!(v["ts"], Value::Null);
    assert_eq!(v["src"], Value::Null);
    assert_eq!(v["dst"], Value::Null);
    let fields = v["fields"].as_array().unwrap();
    assert_eq!(fields[0], serde_json::json!([8, "FIX.4.4"]));
    assert!(fields.contains(&serde_json::json!([11, "ORD1"])));
    assert_eq!(fields.last().unwrap()[0], 10);
}

#[test]
fn dump_works_while_the_engine_runs_and_needs_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let cfg = cfg.to_str().unwrap();
    fill(dir.path(), "B", 2, 1);
    let _engine = open(dir.path(), "B");
    let o = dump(cfg, &["--session", "A->B"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 2);

    let o = dump(cfg, &["--session", "A->C"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("FIX.4.4:A->C: no store at"),
        "{}",
        stderr(&o)
    );
    let o = dump(cfg, &[]);
    assert_eq!(o.status.code(), Some(2), "several sessions need --session");
}

/// A Logon with a Password in the journal (as a journal written before
/// redaction, or a session's extra RedactFieldsInLogs tag) is dumped with
/// the session's tags masked; `--show-secrets` prints what is stored.
#[test]
fn dump_masks_the_sessions_redacted_tags() {
    use ringfix::engine::store::MessageStore;
    let dir = tempfile::tempdir().unwrap();
    let cfg = single_config(dir.path());
    let mut s = open(dir.path(), "B");
    let logon = fix("35=A|34=1|49=A|56=B|52=20261124-03:00:00.000|98=0|108=30|553=u|554=hunter22|");
    s.append(1, &logon).unwrap();
    s.append(2, &order(2)).unwrap();
    s.set_next_sender_seq(3).unwrap();
    drop(s);
    let cfg = cfg.to_str().unwrap();
    let d = dump(cfg, &[]);
    assert!(d.status.success(), "{}", stderr(&d));
    let out = stdout(&d);
    assert!(!out.contains("hunter22"), "{out}");
    assert!(out.contains("|553=u|554=***|"), "{out}");
    assert!(out.contains("11=ORD2"), "{out}");
    assert!(stdout(&dump(cfg, &["--show-secrets"])).contains("|554=hunter22|"));
    // The session's own tags: ClOrdID hidden too.
    let text = std::fs::read_to_string(cfg).unwrap() + "RedactFieldsInLogs=554,11\n";
    std::fs::write(cfg, text).unwrap();
    let out = stdout(&dump(cfg, &["--json"]));
    assert!(!out.contains("hunter22") && !out.contains("ORD2"), "{out}");
    assert!(out.contains(r#"[11, "***"]"#), "{out}");
}
