//! A Logon without its required HeartBtInt (108) has no `send`.
use ringfix_codec::typed::{Build, VecDraft};
use ringfix_messages::fixt11::field::EncryptMethod;
use ringfix_messages::fixt11::Logon;

fn main() {
    let mut out = Vec::new();
    Logon::empty(VecDraft::new(&mut out, b"FIXT.1.1", b"A"))
        .encrypt_method(EncryptMethod::NoneOther)
        .default_appl_ver_id("9")
        .send();
}
