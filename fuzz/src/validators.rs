//! Dictionary validation of fuzzed messages against every shipped version,
//! with the options chosen by the input.

use std::cell::RefCell;

use ringfix_codec::dict::{Options, Reject, Validator};
use ringfix_codec::{MessageView, INVALID_TAG};

/// (BeginString, DefaultApplVerID) of the validators tried.
const SETUPS: [(&[u8], Option<&[u8]>); 7] = [
    (b"FIX.4.0", None),
    (b"FIX.4.1", None),
    (b"FIX.4.2", None),
    (b"FIX.4.3", None),
    (b"FIX.4.4", None),
    (b"FIXT.1.1", Some(b"9")),
    (b"FIXT.1.1", Some(b"7")),
];

thread_local! {
    static VALIDATORS: RefCell<Vec<Validator>> = RefCell::new(
        SETUPS
            .iter()
            .filter_map(|(b, a)| Validator::builtin(b, *a, Options::default()).ok())
            .collect(),
    );
}

/// Options from the bits of one byte.
pub fn options(bits: u8) -> Options {
    let on = |i: u8| bits & (1 << i) != 0;
    Options {
        validate_fields_have_values: !on(0),
        validate_fields_out_of_order: !on(1),
        validate_user_defined_fields: !on(2),
        allow_unknown_msg_fields: on(3),
        validate_group_members: on(4),
        validate_group_delimiter: on(5),
        strict_date_formats: on(6),
        validate_unordered_group_fields: on(7),
        first_field_in_group_is_delimiter: on(5) && on(7),
    }
}

/// Validates `msg` (raw bytes) and, when given, its parsed view with every
/// validator; touches every accessor of the rejects.
pub fn validate_all(bits: u8, msg: &[u8], view: Option<&MessageView<'_>>) {
    VALIDATORS.with(|cell| {
        let mut all = cell.borrow_mut();
        for v in all.iter_mut() {
            v.set_options(options(bits));
            if let Err(r) = v.validate_bytes(msg) {
                touch_reject(&r, msg);
            }
            if let Some(view) = view {
                // The fast path never decides otherwise than the exact pass.
                assert_eq!(v.validate(view), v.validate_exact(view), "fast path disagrees");
                let fields = view.fields().map(|f| {
                    let tag = if f.tag == INVALID_TAG {
                        -1
                    } else {
                        i64::from(f.tag)
                    };
                    (tag, f.value)
                });
                if let Err(r) = v.validate_fields(fields) {
                    touch_reject(&r, view.begin_string());
                }
            }
        }
    });
}

fn touch_reject(r: &Reject, begin_string: &[u8]) {
    let text = r.text_for(begin_string);
    let _ = format!("{text:?}");
    let _ = r.msg_type();
    let _ = r.session_reject_reason(begin_string);
    let _ = r.business_reject_reason();
    let _ = r.ref_tag_id(begin_string);
    let _ = r.has_ref_msg_type(begin_string);
}
