//! Runs a set of `.def` scripts over TCP against one acceptor: scripts that
//! use different sessions run in parallel, scripts sharing a session run
//! one after another. Needs `defscript` and `tcpscript` as sibling modules.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::tcpscript::run_script;
use ringfix_testkit::defscript::{parse_script, split_fields, Action, FieldFormats};

/// A script to run: a display name (`folder/file.def`) and its text.
#[derive(Clone, Debug)]
pub struct Script {
    /// `folder/file.def`.
    pub name: String,
    /// The script text.
    pub text: String,
}

/// The outcome of one script.
#[derive(Debug)]
pub struct Outcome {
    /// `folder/file.def`.
    pub name: String,
    /// `Err` carries the failing line and a field-level diff.
    pub result: Result<(), String>,
    /// Wall time.
    pub elapsed: Duration,
}

/// The configured TargetCompIDs of an acceptor config (`TargetCompID=` lines).
pub fn configured_targets(config: &str) -> Vec<String> {
    config
        .lines()
        .filter_map(|l| l.split_once('='))
        .filter(|(k, _)| k.trim() == "TargetCompID")
        .map(|(_, v)| v.trim().to_owned())
        .collect()
}

/// The configured sessions a script logs on to: SenderCompIDs (49) of the
/// messages it sends that name a configured TargetCompID.
fn sessions_of(script: &Script, targets: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for step in parse_script(&script.text).unwrap_or_default() {
        if let Action::Send(m) = step.action {
            for (tag, value) in split_fields(m.as_bytes()) {
                let v = String::from_utf8_lossy(&value).into_owned();
                if tag == "49" && targets.contains(&v) && !out.contains(&v) {
                    out.push(v);
                }
            }
        }
    }
    out
}

/// Groups scripts so that no two groups share a session (union-find over
/// the sessions each script uses); order within a group is kept.
pub fn group_by_session(scripts: &[Script], targets: &[String]) -> Vec<Vec<Script>> {
    let mut parent: Vec<usize> = (0..scripts.len()).collect();
    fn find(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    let mut owner: BTreeMap<String, usize> = BTreeMap::new();
    for (i, s) in scripts.iter().enumerate() {
        for session in sessions_of(s, targets) {
            match owner.get(&session) {
                Some(&j) => {
                    let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                    parent[a] = b;
                }
                None => {
                    owner.insert(session, i);
                }
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<Script>> = BTreeMap::new();
    for (i, s) in scripts.iter().enumerate() {
        let root = find(&mut parent, i);
        groups.entry(root).or_default().push(s.clone());
    }
    groups.into_values().collect()
}

/// Runs every script against `addr`; groups in parallel. Outcomes in the
/// order of `scripts`.
pub fn run_all(
    addr: SocketAddr,
    scripts: &[Script],
    targets: &[String],
    formats: &FieldFormats,
) -> Vec<Outcome> {
    let groups = group_by_session(scripts, targets);
    let mut outcomes: Vec<Outcome> = std::thread::scope(|s| {
        let handles: Vec<_> = groups
            .iter()
            .map(|group| {
                s.spawn(move || {
                    group
                        .iter()
                        .map(|script| {
                            let start = Instant::now();
                            let result = run_script(addr, &script.text, formats);
                            let o = Outcome {
                                name: script.name.clone(),
                                result,
                                elapsed: start.elapsed(),
                            };
                            report_line(&o);
                            o
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let order: BTreeMap<&str, usize> = scripts
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.as_str(), i))
        .collect();
    outcomes.sort_by_key(|o| order.get(o.name.as_str()).copied().unwrap_or(usize::MAX));
    outcomes
}

fn report_line(o: &Outcome) {
    match &o.result {
        Ok(()) => println!("PASS {} ({:.1}s)", o.name, o.elapsed.as_secs_f64()),
        Err(e) => println!("FAIL {} ({:.1}s): {e}", o.name, o.elapsed.as_secs_f64()),
    }
}

/// Prints per-folder counts, the failures again, and the `N passed, M
/// failed` line. Returns the number of failures.
pub fn summarize(outcomes: &[Outcome], wall: Duration) -> usize {
    let mut folders: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for o in outcomes {
        let folder = o.name.split_once('/').map_or("", |(f, _)| f);
        let e = folders.entry(folder).or_default();
        if o.result.is_ok() {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
    }
    println!("---");
    for (folder, (p, f)) in &folders {
        println!("{folder}: {p} passed, {f} failed");
    }
    let failed: Vec<&Outcome> = outcomes.iter().filter(|o| o.result.is_err()).collect();
    for o in &failed {
        if let Err(e) = &o.result {
            println!("FAILED {}: {e}", o.name);
        }
    }
    let slowest = outcomes.iter().max_by_key(|o| o.elapsed);
    if let Some(s) = slowest {
        println!("slowest: {} {:.1}s", s.name, s.elapsed.as_secs_f64());
    }
    println!(
        "{} passed, {} failed ({:.1}s)",
        outcomes.len() - failed.len(),
        failed.len(),
        wall.as_secs_f64()
    );
    failed.len()
}
