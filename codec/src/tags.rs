//! Tag numbers the codec itself needs (standard header and trailer).

use crate::Tag;

/// BeginString (8).
pub const BEGIN_STRING: Tag = 8;
/// BodyLength (9).
pub const BODY_LENGTH: Tag = 9;
/// CheckSum (10).
pub const CHECK_SUM: Tag = 10;
/// MsgSeqNum (34).
pub const MSG_SEQ_NUM: Tag = 34;
/// MsgType (35).
pub const MSG_TYPE: Tag = 35;
/// PossDupFlag (43).
pub const POSS_DUP_FLAG: Tag = 43;
/// SenderCompID (49).
pub const SENDER_COMP_ID: Tag = 49;
/// SenderSubID (50).
pub const SENDER_SUB_ID: Tag = 50;
/// SendingTime (52).
pub const SENDING_TIME: Tag = 52;
/// TargetCompID (56).
pub const TARGET_COMP_ID: Tag = 56;
/// TargetSubID (57).
pub const TARGET_SUB_ID: Tag = 57;
/// PossResend (97).
pub const POSS_RESEND: Tag = 97;
/// OnBehalfOfCompID (115).
pub const ON_BEHALF_OF_COMP_ID: Tag = 115;
/// OrigSendingTime (122).
pub const ORIG_SENDING_TIME: Tag = 122;
/// DeliverToCompID (128).
pub const DELIVER_TO_COMP_ID: Tag = 128;
/// ApplVerID (1128).
pub const APPL_VER_ID: Tag = 1128;
/// CstmApplVerID (1129).
pub const CSTM_APPL_VER_ID: Tag = 1129;
/// ApplExtID (1156).
pub const APPL_EXT_ID: Tag = 1156;

/// Tags located once per parse (the view answers `get` for them in O(1)).
pub const INDEXED_HEADER_TAGS: [Tag; 18] = [
    BEGIN_STRING,
    BODY_LENGTH,
    MSG_TYPE,
    MSG_SEQ_NUM,
    SENDER_COMP_ID,
    TARGET_COMP_ID,
    SENDING_TIME,
    POSS_DUP_FLAG,
    POSS_RESEND,
    ORIG_SENDING_TIME,
    SENDER_SUB_ID,
    TARGET_SUB_ID,
    ON_BEHALF_OF_COMP_ID,
    DELIVER_TO_COMP_ID,
    APPL_VER_ID,
    CSTM_APPL_VER_ID,
    APPL_EXT_ID,
    CHECK_SUM,
];

/// Slots in the header index: slot 0 is a sink for non-indexed tags.
pub(crate) const HEADER_SLOTS: usize = INDEXED_HEADER_TAGS.len() + 1;

const SMALL_SLOT: [u8; 160] = small_slots();

const fn small_slots() -> [u8; 160] {
    let mut t = [0u8; 160];
    let mut i = 0;
    while i < INDEXED_HEADER_TAGS.len() {
        let tag = INDEXED_HEADER_TAGS[i];
        if tag < 160 {
            t[tag as usize] = (i + 1) as u8;
        }
        i += 1;
    }
    t
}

/// Header-index slot of `tag` (0 when the tag is not indexed).
#[inline(always)]
pub(crate) fn header_slot(tag: Tag) -> usize {
    match tag {
        0..=159 => SMALL_SLOT.get(tag as usize).map_or(0, |s| usize::from(*s)),
        APPL_VER_ID => 15,
        CSTM_APPL_VER_ID => 16,
        APPL_EXT_ID => 17,
        _ => 0,
    }
}

/// Class bit of a length tag (announces a data field) in [`tag_class`].
pub(crate) const CLASS_LEN: u8 = 0x80;

/// Tags below this have their class in [`SMALL_CLASS`]: every tag of up to
/// four digits, which the parse loop then looks up without a bound check
/// ([`short_tag_class`]; 16 KiB, of which a message touches a few lines).
const SMALL_TAGS: usize = 1 << 14;

static SMALL_CLASS: [u8; SMALL_TAGS] = small_classes();

const fn small_classes() -> [u8; SMALL_TAGS] {
    let mut t = [0u8; SMALL_TAGS];
    let mut i = 0;
    while i < INDEXED_HEADER_TAGS.len() {
        let tag = INDEXED_HEADER_TAGS[i];
        if (tag as usize) < SMALL_TAGS {
            t[tag as usize] = (i + 1) as u8;
        }
        i += 1;
    }
    let pairs = crate::data_fields::LEN_DATA_PAIRS;
    let mut i = 0;
    while i < pairs.len() {
        if (pairs[i].0 as usize) < SMALL_TAGS {
            t[pairs[i].0 as usize] |= CLASS_LEN;
        }
        i += 1;
    }
    t
}

/// Header slot (low bits) and [`CLASS_LEN`] of `tag` in one lookup: zero
/// for the common body field, so the parse loop tests it once.
#[inline(always)]
pub(crate) fn tag_class(tag: Tag) -> u8 {
    match SMALL_CLASS.get(tag as usize) {
        Some(c) => *c,
        None => large_tag_class(tag),
    }
}

/// [`tag_class`] of a tag of at most four digits, without a bound check
/// or mask (either costs the parse loop two instructions per field).
///
/// # Safety
/// `tag < 10_000` (below `SMALL_TAGS`).
#[inline(always)]
pub(crate) unsafe fn short_tag_class(tag: Tag) -> u8 {
    debug_assert!(tag < 10_000);
    // SAFETY: the caller guarantees `tag < 10_000 <= SMALL_TAGS`.
    unsafe { *SMALL_CLASS.get_unchecked(tag as usize) }
}

/// [`tag_class`] of a tag of five digits or more (rare on the wire).
#[cold]
#[inline(never)]
fn large_tag_class(tag: Tag) -> u8 {
    let len = if crate::data_fields::data_tag_for(tag).is_some() {
        CLASS_LEN
    } else {
        0
    };
    header_slot(tag) as u8 | len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_indexed_tag_has_its_own_slot() {
        for (i, tag) in INDEXED_HEADER_TAGS.iter().enumerate() {
            assert_eq!(header_slot(*tag), i + 1, "tag {tag}");
        }
        assert_eq!(header_slot(11), 0);
        assert_eq!(header_slot(5000), 0);
        assert_eq!(header_slot(u32::MAX), 0);
        for tag in (0..20_000).chain([40004, 43111, u32::MAX]) {
            let len = if crate::data_fields::data_tag_for(tag).is_some() {
                CLASS_LEN
            } else {
                0
            };
            assert_eq!(tag_class(tag), header_slot(tag) as u8 | len, "tag {tag}");
            // The parse loop indexes the header with this unchecked.
            assert!(usize::from(tag_class(tag) & !CLASS_LEN) < HEADER_SLOTS);
            if tag < 10_000 {
                // SAFETY: `tag < 10_000` in this branch.
                assert_eq!(unsafe { short_tag_class(tag) }, tag_class(tag), "tag {tag}");
            }
        }
    }
}
