//! `ringfix decode` driven as a program.
use ringfix_testkit::pcap as decode_support;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use decode_support::*;

fn write(name: &str, bytes: &[u8]) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn ringfix(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ringfix"))
        .args(args)
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(bytes) = stdin {
        input.write_all(bytes).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).unwrap()
}

fn capture() -> Vec<u8> {
    let mut c = Conv::new(Link::Sll2, "10.0.0.1:40000", "10.0.0.2:9878");
    c.handshake();
    c.send(true, &fix("35=A|49=C|56=S|34=1|98=0|108=30"));
    c.send(false, &fix("35=A|49=S|56=C|34=1|98=0|108=30"));
    c.send(true, &fix("35=D|49=C|56=S|34=2|11=A1|54=1|55=IBM"));
    c.send(true, &fix("35=D|49=C|56=S|34=3|11=A2|54=2|55=IBM"));
    pcap(276, false, &c.pkts)
}

#[test]
fn default_output_is_one_line_per_message_with_time_and_addresses() {
    let path = write("cli_default.pcap", &capture());
    let out = ringfix(&["decode", path.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4);
    let logon = text(&fix("35=A|49=C|56=S|34=1|98=0|108=30")).replace('\x01', "|");
    assert!(logon.starts_with("8=FIX.4.4|9=32|35=A|49=C|"));
    assert_eq!(
        lines[0],
        format!("2023-11-14T22:13:20.003000Z 10.0.0.1:40000 -> 10.0.0.2:9878 {logon}")
    );
    assert!(lines[1].contains(" 10.0.0.2:9878 -> 10.0.0.1:40000 8=FIX.4.4|"));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}

#[test]
fn json_output_shape() {
    let path = write("cli_json.pcap", &capture());
    let out = ringfix(&["decode", path.to_str().unwrap(), "--json"], None);
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    let objs: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objs.len(), 4);
    let o = &objs[2];
    assert_eq!(o["ts"], "2023-11-14T22:13:20.005000Z");
    assert_eq!(o["src"], "10.0.0.1:40000");
    assert_eq!(o["dst"], "10.0.0.2:9878");
    let fields = o["fields"].as_array().unwrap();
    assert_eq!(fields[0], serde_json::json!([8, "FIX.4.4"]));
    assert_eq!(fields[2], serde_json::json!([35, "D"]));
    assert_eq!(fields.last().unwrap()[0], 10);
    assert_eq!(o.as_object().unwrap().len(), 4);
}

#[test]
fn json_keeps_repeated_tags_and_nulls_unknown_parts() {
    let msg = fix("35=D|453=2|448=A|452=1|448=B|452=3");
    let out = ringfix(&["decode", "-", "--json"], Some(&msg));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let o: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    assert_eq!(o["ts"], serde_json::Value::Null);
    assert_eq!(o["src"], serde_json::Value::Null);
    let parties: Vec<_> = o["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f[0] == 448)
        .map(|f| f[1].as_str().unwrap().to_string())
        .collect();
    assert_eq!(parties, ["A", "B"]);
}

#[test]
fn filters_must_all_match() {
    let path = write("cli_filter.pcap", &capture());
    let p = path.to_str().unwrap();
    let out = ringfix(&["decode", p, "--filter", "35=D"], None);
    assert_eq!(text(&out.stdout).lines().count(), 2);
    let out = ringfix(&["decode", p, "--filter", "35=D", "--filter", "54=2"], None);
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 1);
    assert!(stdout.contains("|11=A2|"));
    let out = ringfix(&["decode", p, "--filter", "35=D", "--filter", "54=7"], None);
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    let out = ringfix(
        &["decode", p, "--filter", "MsgType=D", "--filter", "Side=2"],
        None,
    );
    assert_eq!(text(&out.stdout).lines().count(), 1);
    let out = ringfix(&["decode", p, "--filter", "D"], None);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("TAG=VALUE"));
}

#[test]
fn file_log_with_prefixes_garbage_lines_and_garbled_messages() {
    let mut log = Vec::new();
    log.extend_from_slice(b"20231114-22:13:20.123 : ");
    log.extend_from_slice(&fix("35=A|34=1"));
    log.extend_from_slice(b"\n");
    log.extend_from_slice(b"this line is garbage\n");
    log.extend_from_slice(b"20231114-22:13:21.000 : ");
    let mut bad = fix("35=0|34=2");
    let n = bad.len();
    bad[n - 2] = b'9'; // wrong CheckSum
    log.extend_from_slice(&bad);
    log.extend_from_slice(b"\n20231114-22:13:22.456 : ");
    log.extend_from_slice(&fix("35=5|34=3"));
    log.extend_from_slice(b"\n");
    let path = write("cli_messages.log", &log);
    let out = ringfix(&["decode", path.to_str().unwrap()], None);
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(
        lines[0].starts_with("2023-11-14T22:13:20.123Z 8=FIX.4.4|"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("2023-11-14T22:13:22.456Z 8=FIX.4.4|"),
        "{}",
        lines[1]
    );
    let stderr = text(&out.stderr);
    assert!(stderr.contains("line 2: not a FIX message"), "{stderr}");
    assert!(
        stderr.contains("line 3: garbled message (CheckSum"),
        "{stderr}"
    );
}

#[test]
fn file_log_without_prefixes_and_with_bars() {
    let mut log = fix("35=0|34=1");
    log.push(b'\n');
    log.extend_from_slice(&fix("35=0|34=2"));
    log.push(b'\n');
    let out = ringfix(&["decode", "-"], Some(&log));
    assert!(out.status.success());
    assert_eq!(text(&out.stdout).lines().count(), 2);
    let mut crlf = b"20231114-22:13:20.123 : ".to_vec();
    crlf.extend_from_slice(&fix("35=0|34=1"));
    crlf.extend_from_slice(b"\r\n");
    crlf.extend_from_slice(&crlf.clone());
    let out = ringfix(&["decode", "-"], Some(&crlf));
    assert_eq!(text(&out.stdout).lines().count(), 2);
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    let bars: Vec<u8> = log.iter().map(|&b| if b == 1 { b'|' } else { b }).collect();
    let out = ringfix(&["decode", "-", "--json"], Some(&bars));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().count(), 2);
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}

#[test]
fn raw_stream_with_junk_reports_byte_offsets() {
    let mut raw = fix("35=0|34=1");
    let junk_at = raw.len();
    raw.extend_from_slice(b"\x00\x00GARBAGE");
    raw.extend_from_slice(&fix("35=0|34=2"));
    let out = ringfix(&["decode", "-"], Some(&raw));
    assert!(out.status.success());
    assert_eq!(text(&out.stdout).lines().count(), 2);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!("byte {junk_at}: 9 bytes of non-FIX data skipped")),
        "{stderr}"
    );
}

#[test]
fn unreadable_inputs_fail_with_a_message() {
    let out = ringfix(&["decode", "/nonexistent/capture.pcap"], None);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("/nonexistent/capture.pcap"));
    let out = ringfix(&["decode", "-"], Some(b"no fix here\n"));
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("no FIX message found"));
    let out = ringfix(&["decode", "-"], Some(b""));
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("empty input"));
}

#[test]
fn truncated_capture_still_prints_what_it_can() {
    let mut file = capture();
    file.truncate(file.len() - 10);
    let path = write("cli_truncated.pcap", &file);
    let out = ringfix(&["decode", path.to_str().unwrap()], None);
    assert!(out.status.success());
    assert_eq!(text(&out.stdout).lines().count(), 3);
    assert!(text(&out.stderr).contains("capture truncated"));
}

/// Whether a line reads `want` once runs of blanks are squeezed.
fn has(lines: &[&str], want: &str) -> bool {
    lines
        .iter()
        .any(|l| l.split_whitespace().collect::<Vec<_>>().join(" ") == want)
}

#[test]
fn expanded_form_names_fields_and_enums_without_colour_when_piped() {
    let path = write("cli_expand.pcap", &capture());
    let out = ringfix(&["decode", path.to_str().unwrap(), "--expand"], None);
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    assert!(!stdout.contains('\x1b'));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0],
        "2023-11-14T22:13:20.003000Z 10.0.0.1:40000 -> 10.0.0.2:9878 Logon (A)"
    );
    assert!(has(&lines, "98 EncryptMethod = 0 (NONE)"), "{stdout}");
    assert!(has(&lines, "54 Side = 2 (SELL)"), "{stdout}");
    assert!(has(&lines, "55 Symbol = IBM"), "{stdout}");
    assert!(
        lines.contains(&"    98 EncryptMethod = 0 (NONE)"),
        "{stdout}"
    );
}

#[test]
fn expanded_form_indents_groups_and_follows_fixt_appl_ver_id() {
    let mut log = fix("35=D|34=2|11=A1|453=2|448=BRK|452=1|448=TRD|452=11|54=1");
    log.push(b'\n');
    log.extend_from_slice(&fix_with("FIXT.1.1", "35=8|34=3|1128=9|150=F|39=2"));
    log.push(b'\n');
    let out = ringfix(&["decode", "-", "-v"], Some(&log));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "NewOrderSingle (D)");
    assert!(lines.contains(&"   453 NoPartyIDs  = 2"), "{stdout}");
    assert!(lines.contains(&"   448   PartyID   = TRD"), "{stdout}");
    assert!(
        lines.contains(&"   452   PartyRole = 11 (ORDER_ORIGINATION_TRADER)"),
        "{stdout}"
    );
    assert!(lines.contains(&"    54 Side        = 1 (BUY)"), "{stdout}");
    assert!(lines.contains(&"ExecutionReport (8)"), "{stdout}");
    assert!(has(&lines, "150 ExecType = F (TRADE)"), "{stdout}");
}

const CUSTOM_DICT: &str = r#"<fix type="FIX" major="4" minor="4" servicepack="0">
  <header><field name="BeginString" required="Y"/><field name="BodyLength" required="Y"/>
    <field name="MsgType" required="Y"/></header>
  <trailer><field name="CheckSum" required="Y"/></trailer>
  <messages><message name="VenueOrder" msgtype="D" msgcat="app">
    <field name="VenueSide" required="N"/></message></messages>
  <components/>
  <fields>
    <field number="8" name="BeginString" type="STRING"/>
    <field number="9" name="BodyLength" type="LENGTH"/>
    <field number="10" name="CheckSum" type="STRING"/>
    <field number="35" name="MsgType" type="STRING"/>
    <field number="54" name="VenueSide" type="CHAR"><value enum="1" description="BID"/></field>
  </fields>
</fix>"#;

#[test]
fn dict_option_comes_first_and_shipped_names_fill_in() {
    let dict = write("custom_dict.xml", CUSTOM_DICT.as_bytes());
    let msg = fix("35=D|34=2|11=A1|54=1");
    let d = dict.to_str().unwrap();
    let out = ringfix(&["decode", "-", "-v", "--dict", d], Some(&msg));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "VenueOrder (D)");
    assert!(has(&lines, "54 VenueSide = 1 (BID)"), "{stdout}");
    assert!(has(&lines, "11 ClOrdID = A1"), "{stdout}");
    let out = ringfix(
        &["decode", "-", "-v", "--dict", "/nonexistent.xml"],
        Some(&msg),
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("/nonexistent.xml"));
}

#[test]
fn log_message_whose_value_holds_a_newline() {
    let mut log = b"20231114-22:13:20.123 : ".to_vec();
    log.extend_from_slice(&fix("35=3|34=7|58=first line\nsecond line|373=5"));
    log.extend_from_slice(b"\n20231114-22:13:21.000 : ");
    log.extend_from_slice(&fix("35=0|34=8"));
    log.extend_from_slice(b"\n");
    let out = ringfix(&["decode", "-", "--json"], Some(&log));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let objs: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objs.len(), 2);
    let text58 = objs[0]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f[0] == 58)
        .unwrap()[1]
        .clone();
    assert_eq!(text58, "first line\nsecond line");
    assert_eq!(objs[1]["ts"], "2023-11-14T22:13:21.000Z");
}

#[test]
fn malformed_and_overlong_messages_in_a_raw_stream() {
    // Framed correctly but a field has no number: shown, and reported.
    let odd = fix("35=0|34=1|abc=1");
    // BodyLength far too long: the messages behind it must still come out.
    let mut long = fix("35=0|34=2");
    long[11] = b'9';
    let mut raw = odd.clone();
    raw.extend_from_slice(&long);
    raw.extend_from_slice(&fix("35=0|34=3"));
    raw.extend_from_slice(&fix("35=0|34=4"));
    let out = ringfix(&["decode", "-"], Some(&raw));
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    assert!(stdout.lines().next().unwrap().contains("|abc=1|"));
    assert!(stdout.contains("|34=3|") && stdout.contains("|34=4|"));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("byte 0: malformed message: tag is not a number"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("byte {}: garbled message", odd.len())),
        "{stderr}"
    );
}

/// Writes `input` to `ringfix decode -` without closing the pipe and
/// returns the first line printed.
fn first_line_while_open(input: &[u8]) -> String {
    use std::io::{BufRead, BufReader};
    use std::sync::mpsc;
    use std::time::Duration;

    let mut child = Command::new(env!("CARGO_BIN_EXE_ringfix"))
        .args(["decode", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input).unwrap();
    stdin.flush().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        tx.send(line).unwrap();
    });
    let line = rx.recv_timeout(Duration::from_secs(20));
    drop(stdin);
    assert!(child.wait().unwrap().success());
    line.expect("no output while the pipe is open")
}

#[test]
fn live_pipes_are_decoded_as_they_arrive() {
    let mut c = Conv::new(Link::Sll2, "10.0.0.1:40000", "10.0.0.2:9878");
    c.handshake();
    c.send(true, &fix("35=A|34=1|98=0|108=30"));
    for capture in [pcap(276, true, &c.pkts), pcapng(276, 9, &c.pkts)] {
        let line = first_line_while_open(&capture);
        assert!(
            line.contains("10.0.0.1:40000 -> 10.0.0.2:9878 8=FIX.4.4|"),
            "{line}"
        );
    }
    let mut log = b"20231114-22:13:20.123 : ".to_vec();
    log.extend_from_slice(&fix("35=0|34=5"));
    log.push(b'\n');
    let line = first_line_while_open(&log);
    assert!(
        line.starts_with("2023-11-14T22:13:20.123Z 8=FIX.4.4|"),
        "{line}"
    );
}

/// Passwords (554, 925) are printed as `***` in every output form, the
/// rest of the Logon as it is; `--show-secrets` prints them.
#[test]
fn passwords_are_masked_unless_show_secrets() {
    let mut stream = fix("35=A|49=C|56=S|34=1|98=0|108=30|553=alice|554=hunter22|925=n3wpass");
    stream.extend(fix("35=D|49=C|56=S|34=2|11=A1|54=1|55=IBM"));
    let path = write("cli_secrets.fix", &stream);
    let p = path.to_str().unwrap();
    for flags in [&[][..], &["--json"], &["-v"]] {
        let mut args = vec!["decode", p];
        args.extend_from_slice(flags);
        let out = ringfix(&args, None);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let shown = text(&out.stdout);
        assert!(
            !shown.contains("hunter22") && !shown.contains("n3wpass"),
            "{shown}"
        );
        assert!(
            shown.contains("alice") && shown.contains("***"),
            "{flags:?}: {shown}"
        );
        args.push("--show-secrets");
        let out = ringfix(&args, None);
        let shown = text(&out.stdout);
        assert!(
            shown.contains("hunter22") && shown.contains("n3wpass"),
            "{shown}"
        );
    }
    let out = ringfix(&["decode", p], None);
    let first = text(&out.stdout).lines().next().unwrap().to_owned();
    assert!(first.contains("|553=alice|554=***|925=***|10="), "{first}");
}
