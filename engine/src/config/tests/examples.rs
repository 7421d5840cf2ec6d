//! The example configurations in `examples/config/` parse.

use std::path::{Path, PathBuf};

use crate::config::*;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn load(name: &str) -> EngineConfig {
    let cfg = EngineConfig::load(&repo_root().join("examples/config").join(name)).unwrap();
    assert!(cfg.warnings.is_empty(), "{name}: {:?}", cfg.warnings);
    cfg
}

fn assert_dictionaries_exist(cfg: &EngineConfig) {
    for s in &cfg.sessions {
        let d = &s.dictionaries;
        let paths = [
            &d.data_dictionary,
            &d.transport_data_dictionary,
            &d.app_data_dictionary,
        ];
        for path in paths.into_iter().flatten() {
            assert!(
                repo_root().join(path).is_file(),
                "{}: {}",
                s.id,
                path.display()
            );
        }
    }
}

#[test]
fn loopback_pair() {
    let acceptor = load("acceptor.cfg");
    let initiator = load("initiator.cfg");
    let (a, i) = (&acceptor.sessions[0], &initiator.sessions[0]);
    assert_eq!((a.role, i.role), (Role::Acceptor, Role::Initiator));
    assert_eq!(a.id.sender_comp_id, i.id.target_comp_id);
    assert_eq!(a.id.target_comp_id, i.id.sender_comp_id);
    assert_eq!(a.network.accept_port, Some(i.network.connect[0].port));
    assert_eq!(i.network.connect[0].host, "127.0.0.1");
    assert_dictionaries_exist(&acceptor);
    assert_dictionaries_exist(&initiator);
}

#[test]
fn acceptance_acceptor() {
    let cfg = load("acceptance.cfg");
    let ids: Vec<String> = cfg.sessions.iter().map(|s| s.id.to_string()).collect();
    assert_eq!(
        ids,
        [
            "FIX.4.0:ISLD->TW40",
            "FIX.4.1:ISLD->TW41",
            "FIX.4.2:ISLD->TW42",
            "FIX.4.3:ISLD->TW43",
            "FIX.4.4:ISLD->TW44",
            "FIX.4.4:ISLD->TW",
            "FIXT.1.1:ISLD->TW50",
            "FIXT.1.1:ISLD->TW50SP1",
            "FIXT.1.1:ISLD->TW50SP2",
            "FIX.4.4:ISLD->NO_CHECK_FIELDS_HAVE_VALUES",
        ]
    );
    for s in &cfg.sessions {
        assert_eq!(s.role, Role::Acceptor);
        assert!(s.reset.on_logon, "{}", s.id);
        assert!(s.validation.use_data_dictionary);
        // 00:00:00 to 00:00:00: always in session, one period per day.
        assert!(s
            .schedule
            .is_in_session(ringfix_codec::UtcTimestamp::from_nanos(0)));
        assert_eq!(
            s.validation.fields_have_values,
            s.id.target_comp_id != "NO_CHECK_FIELDS_HAVE_VALUES"
        );
    }
    for (i, appl, code) in [
        (6, ApplVerId::Fix50, "7"),
        (7, ApplVerId::Fix50Sp1, "8"),
        (8, ApplVerId::Fix50Sp2, "9"),
    ] {
        let fixt = &cfg.sessions[i].dictionaries;
        assert_eq!(fixt.default_appl_ver_id, Some(appl));
        assert_eq!(fixt.default_appl_ver_id.map(ApplVerId::code), Some(code));
    }
    assert_dictionaries_exist(&cfg);
}
