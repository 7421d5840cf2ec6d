//! Framed and parsed messages (and the raw bytes) through the dictionary
//! validation of every shipped FIX version; `data[0]` picks the options.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ringfix_codec::{frame, Frame, Parser, DEFAULT_MAX_MESSAGE_SIZE};
use ringfix_fuzz::validators::validate_all;

fuzz_target!(|data: &[u8]| {
    let Some((&bits, mut buf)) = data.split_first() else {
        return;
    };
    let mut parser = Parser::new();
    let mut frames = 0;
    while !buf.is_empty() && frames < 8 {
        match frame(buf, DEFAULT_MAX_MESSAGE_SIZE) {
            Frame::Complete(len) => {
                let (msg, rest) = buf.split_at(len);
                let view = parser.parse_framed(msg).ok();
                validate_all(bits, msg, view.as_ref());
                frames += 1;
                buf = rest;
            }
            Frame::Garbled { skip, .. } => buf = &buf[skip..],
            Frame::Incomplete => break,
        }
    }
    if frames == 0 {
        // Unframed bytes straight into the raw validator.
        validate_all(bits, data.get(1..).unwrap_or_default(), None);
    }
});
