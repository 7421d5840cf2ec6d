//! Arbitrary bytes -> framing loop -> parse every complete frame -> every
//! getter, fields, groups, typed values, re-encode round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ringfix_codec::Parser;
use ringfix_fuzz::codec_checks::{frame_loop, parse_whole};

fuzz_target!(|data: &[u8]| {
    let mut parser = Parser::new();
    frame_loop(data, &mut parser);
    parse_whole(data.get(1..).unwrap_or_default(), &mut parser);
});
