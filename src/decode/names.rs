//! Which data dictionaries name a message's fields: `--dict F` first, then
//! the shipped one for its BeginString, and for FIXT.1.1 the application
//! version from ApplVerID (1128), else the connection's DefaultApplVerID
//! (1137, from its Logon), else FIX.5.0SP2.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use ringfix_codec::dict::{
    builtin, builtin_for_appl_ver_id, builtin_for_begin_string, Dictionary, Version,
};

use super::output::Field;
use super::Message;

type Connection = (Option<SocketAddr>, Option<SocketAddr>);

/// Dictionaries in the order they are asked.
pub(crate) struct Dicts {
    custom: Option<Arc<Dictionary>>,
    /// DefaultApplVerID per connection (both directions share it).
    default_appl: HashMap<Connection, Vec<u8>>,
}

fn first<'a>(fields: &[Field<'a>], tag: u32) -> Option<&'a [u8]> {
    fields.iter().find(|(t, _)| *t == tag).map(|(_, v)| *v)
}

impl Dicts {
    /// `--dict` if given (a load failure is an error), plus the shipped dictionaries.
    pub(crate) fn load(path: Option<&Path>) -> Result<Self, String> {
        let custom = match path {
            Some(p) => Some(Arc::new(Dictionary::load(p).map_err(|e| e.to_string())?)),
            None => None,
        };
        Ok(Dicts {
            custom,
            default_appl: HashMap::new(),
        })
    }

    /// The dictionaries for `msg`, most specific first.
    pub(crate) fn chain(&mut self, msg: &Message, fields: &[Field<'_>]) -> Vec<Arc<Dictionary>> {
        let mut chain: Vec<Arc<Dictionary>> = self.custom.iter().cloned().collect();
        let begin = first(fields, 8).unwrap_or(b"");
        let conn = match (msg.src, msg.dst) {
            (Some(s), Some(d)) if d < s => (Some(d), Some(s)),
            other => other,
        };
        if first(fields, 35) == Some(b"A") {
            if let Some(default) = first(fields, 1137) {
                self.default_appl.insert(conn, default.to_vec());
            }
        }
        if let Ok(d) = builtin_for_begin_string(begin) {
            chain.push(d);
        }
        if begin == b"FIXT.1.1" {
            let appl = first(fields, 1128)
                .or_else(|| self.default_appl.get(&conn).map(Vec::as_slice))
                .and_then(|id| builtin_for_appl_ver_id(id).ok())
                .or_else(|| builtin(Version::Fix50Sp2).ok());
            chain.extend(appl);
        }
        chain
    }
}
