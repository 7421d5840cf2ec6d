//! Loading: shipped dictionaries, files, errors naming the file.

use ringfix_codec::dict::{
    builtin, builtin_for_appl_ver_id, builtin_for_begin_string, DictError, Dictionary, GroupTree,
    Member, Version,
};

#[test]
fn every_shipped_version_parses_once() {
    for &v in Version::all() {
        let d = builtin(v).unwrap();
        assert!(d.fields().len() > 50, "{v:?}");
        let common = if v >= Version::Fix50 && v != Version::Fixt11 {
            &b"D"[..]
        } else {
            b"0"
        };
        assert!(d.message(common).is_some(), "{v:?}");
        let again = builtin(v).unwrap();
        assert!(std::sync::Arc::ptr_eq(&d, &again), "parsed once");
    }
    let expect = [
        (Version::Fix40, "FIX.4.0"),
        (Version::Fix42, "FIX.4.2"),
        (Version::Fix44, "FIX.4.4"),
        (Version::Fix50Sp2, "FIX.5.0SP2"),
        (Version::Fixt11, "FIXT.1.1"),
    ];
    for (v, s) in expect {
        assert_eq!(builtin(v).unwrap().version(), s);
    }
}

#[test]
fn selection_by_begin_string_and_appl_ver_id() {
    for bs in [
        "FIX.4.0", "FIX.4.1", "FIX.4.2", "FIX.4.3", "FIX.4.4", "FIXT.1.1",
    ] {
        assert_eq!(
            builtin_for_begin_string(bs.as_bytes()).unwrap().version(),
            bs
        );
    }
    assert!(matches!(
        builtin_for_begin_string(b"FIX.5.0"),
        Err(DictError::UnsupportedBeginString(_))
    ));
    let ids = [
        ("2", "FIX.4.0"),
        ("6", "FIX.4.4"),
        ("7", "FIX.5.0"),
        ("8", "FIX.5.0SP1"),
        ("9", "FIX.5.0SP2"),
    ];
    for (id, v) in ids {
        assert_eq!(builtin_for_appl_ver_id(id.as_bytes()).unwrap().version(), v);
    }
    assert!(matches!(
        builtin_for_appl_ver_id(b"10"),
        Err(DictError::UnknownApplVerId(_))
    ));
}

#[test]
fn model_answers_from_the_xml() {
    let d = builtin(Version::Fix44).unwrap();
    assert_eq!(d.field_name(35), Some("MsgType"));
    assert_eq!(d.value_description(54, b"1"), Some("BUY"));
    assert_eq!(d.tag_of("ClOrdID"), Some(11));
    let nos = d.message(b"D").unwrap();
    assert_eq!(&*nos.name, "NewOrderSingle");
    assert!(nos.required().contains(&54) && nos.required().contains(&60));
    assert!(
        !nos.required().contains(&55),
        "Symbol is optional inside Instrument"
    );
    assert!(
        d.is_message_field(nos, 386) && !d.is_message_field(nos, 336),
        "members are not body fields"
    );
    assert!(d.is_header_field(49) && !d.is_header_field(55) && d.is_trailer_field(10));
    let parties = d.group(b"D", 453).unwrap();
    assert_eq!(
        (parties.def().delimiter, parties.def().members.first()),
        (448, Some(&448))
    );
    let sub = parties.nested(802).unwrap();
    assert_eq!(sub.def().delimiter, 523);
    assert!(d.group(b"D", 999).is_none());
    assert_eq!(d.header_group(627).unwrap().def().delimiter, 628);
}

#[test]
fn component_required_rules_follow_quickfix() {
    // A required field of an optional component is not required.
    let xml = "<fix major='4' minor='4'><header/><trailer/><messages>\
        <message name='M' msgtype='U1'><component name='Opt' required='N'/><component name='Req' required='Y'/>\
        <group name='NoA' required='N'><field name='A' required='Y'/></group>\
        <group name='NoB' required='Y'><field name='B' required='Y'/><component name='Req' required='Y'/></group>\
        </message></messages><components>\
        <component name='Opt'><field name='X' required='Y'/></component>\
        <component name='Req'><field name='Y' required='Y'/></component></components><fields>\
        <field number='5001' name='X' type='INT'/><field number='5002' name='Y' type='INT'/>\
        <field number='5003' name='NoA' type='NUMINGROUP'/><field number='5004' name='A' type='INT'/>\
        <field number='5005' name='NoB' type='NUMINGROUP'/><field number='5006' name='B' type='INT'/>\
        </fields></fix>";
    let d = Dictionary::parse(xml, "t.xml").unwrap();
    let m = d.message(b"U1").unwrap();
    assert_eq!(m.required(), &[5002, 5005]);
    assert_eq!(
        &*d.group(b"U1", 5003).unwrap().def().required,
        &[] as &[u32]
    );
    let b = d.group(b"U1", 5005).unwrap();
    assert_eq!(
        (&*b.def().required, &*b.def().members),
        (&[5006u32][..], &[5006u32, 5002][..])
    );
    // The structure as written: components by reference, flags as declared.
    let names: Vec<&str> = d.components().iter().map(|c| &*c.name).collect();
    assert_eq!(names, ["Opt", "Req"]);
    let req = Member::Component {
        index: 1,
        required: true,
    };
    assert_eq!(
        m.members(),
        &[
            Member::Component {
                index: 0,
                required: false
            },
            req.clone(),
            Member::Group(GroupTree {
                count_tag: 5003,
                required: false,
                members: Box::new([Member::Field {
                    tag: 5004,
                    required: true
                }]),
            }),
            Member::Group(GroupTree {
                count_tag: 5005,
                required: true,
                members: Box::new([
                    Member::Field {
                        tag: 5006,
                        required: true
                    },
                    req
                ]),
            }),
        ]
    );
    assert_eq!(
        d.component(0).unwrap().members,
        Box::new([Member::Field {
            tag: 5001,
            required: true
        }]) as Box<[Member]>
    );
    assert!(d.header_members().is_empty() && d.component(2).is_none());
}

#[test]
fn shipped_structure_keeps_components() {
    let d = builtin(Version::Fix44).unwrap();
    let nos = d.message(b"D").unwrap();
    let parties = d
        .components()
        .iter()
        .position(|c| &*c.name == "Parties")
        .unwrap() as u32;
    assert!(nos.members().contains(&Member::Component {
        index: parties,
        required: false
    }));
    assert!(nos.members().contains(&Member::Field {
        tag: 11,
        required: true
    }));
    assert!(matches!(
        d.header_members().first(),
        Some(Member::Field {
            tag: 8,
            required: true
        })
    ));
}

#[test]
fn errors_name_the_file() {
    let e = Dictionary::load("/nonexistent/FIX99.xml").unwrap_err();
    assert!(
        matches!(e, DictError::Io { .. }) && e.to_string().contains("/nonexistent/FIX99.xml"),
        "{e}"
    );
    let e = Dictionary::parse("<fix major='4' minor='4'><fields>", "bad.xml").unwrap_err();
    assert!(
        matches!(e, DictError::Xml { .. }) && e.to_string().starts_with("bad.xml"),
        "{e}"
    );
    let e = Dictionary::parse("<notfix/>", "root.xml").unwrap_err();
    assert!(
        matches!(e, DictError::Invalid { .. }) && e.to_string().starts_with("root.xml"),
        "{e}"
    );
    let undefined = "<fix major='4' minor='2'><header><field name='Nope' required='Y'/></header>\
                     <messages/><fields><field number='8' name='BeginString' type='STRING'/></fields></fix>";
    let e = Dictionary::parse(undefined, "undef.xml").unwrap_err();
    assert!(e.to_string().contains("Nope"), "{e}");
}

#[test]
fn load_from_a_file() {
    let path = std::env::temp_dir().join(format!("ringfix-dict-{}.xml", std::process::id()));
    std::fs::write(&path, include_str!("../../spec/FIX42.xml")).unwrap();
    let d = Dictionary::load(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(d.version(), "FIX.4.2");
    assert_eq!(d.source(), path.display().to_string());
    assert_eq!(d.messages().len(), 46);
}

#[test]
fn group_layouts_drive_the_codec_walker() {
    let d = builtin(Version::Fix44).unwrap();
    let layout = d.group_layout(b"D", 453).unwrap();
    assert_eq!((layout.count_tag, layout.delimiter), (453, 448));
    assert!(layout.is_member(447) && layout.nested_for(802).is_some());
    assert_eq!(layout.nested_for(802).unwrap().delimiter, 523);
    assert!(d.group_layouts(b"D").any(|l| l.count_tag == 386));
    assert_eq!(d.header_group_layout(627).unwrap().delimiter, 628);

    let body = "35=D\x0134=2\x0149=A\x0152=20261124-10:00:00\x0156=B\x0111=ID\x01\
                453=2\x01448=P1\x01447=D\x01452=1\x01802=1\x01523=S\x01803=1\x01448=P2\x01447=D\x01452=3\x01\
                21=1\x0155=X\x0154=1\x0160=20261124-10:00:00\x0140=1\x01";
    let mut msg = format!("8=FIX.4.4\x019={}\x01{body}", body.len()).into_bytes();
    let sum = msg.iter().fold(0u8, |a, &b| a.wrapping_add(b));
    msg.extend_from_slice(format!("10={sum:03}\x01").as_bytes());
    let mut parser = ringfix_codec::Parser::new();
    let view = parser.parse(&msg).unwrap();
    let group = view.group(layout).unwrap().unwrap();
    assert_eq!(group.len(), 2);
    let entries: Vec<_> = group.entries().collect();
    assert_eq!(entries[0].get(448), Some(&b"P1"[..]));
    assert_eq!(entries[1].get(452), Some(&b"3"[..]));
    let sub = entries[0]
        .group(layout.nested_for(802).unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(sub.len(), 1);
}
