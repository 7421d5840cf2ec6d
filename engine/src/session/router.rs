//! Acceptor-side session lookup: the first message on a connection must be
//! a Logon whose BeginString and CompIDs (reversed) name a configured
//! session that is not already connected.

use super::incoming::Incoming;

/// Why a connection's first message was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// The first message is not a Logon.
    #[error("first message is not a Logon")]
    NotLogon,
    /// BeginString, SenderCompID or TargetCompID is missing.
    #[error("Logon lacks BeginString, SenderCompID or TargetCompID")]
    MissingIdentity,
    /// No session with this BeginString and these CompIDs.
    #[error("no session for this BeginString and CompIDs")]
    UnknownSession,
    /// The session is already connected elsewhere.
    #[error("session already connected")]
    AlreadyConnected,
}

#[derive(Debug)]
struct Entry {
    begin_string: Box<[u8]>,
    sender: Box<[u8]>,
    target: Box<[u8]>,
    connected: bool,
}

/// Routes inbound Logons to session indexes (the runtime's order of
/// [`add`](Router::add) calls).
#[derive(Debug, Default)]
pub struct Router {
    entries: Vec<Entry>,
}

impl Router {
    /// An empty router.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a session by our view of it (our SenderCompID, their
    /// TargetCompID); returns its index.
    pub fn add(&mut self, begin_string: &str, sender_comp_id: &str, target_comp_id: &str) -> usize {
        self.entries.push(Entry {
            begin_string: begin_string.as_bytes().into(),
            sender: sender_comp_id.as_bytes().into(),
            target: target_comp_id.as_bytes().into(),
            connected: false,
        });
        self.entries.len() - 1
    }

    /// Finds the session for a connection's first message.
    pub fn route(&self, first: &Incoming<'_>) -> Result<usize, RouteError> {
        let h = first.header();
        if h.msg_type != Some(b"A") {
            return Err(RouteError::NotLogon);
        }
        let (Some(begin), Some(their), Some(ours)) = (h.begin_string, h.sender, h.target) else {
            return Err(RouteError::MissingIdentity);
        };
        self.entries
            .iter()
            .position(|e| &*e.begin_string == begin && &*e.sender == ours && &*e.target == their)
            .ok_or(RouteError::UnknownSession)
    }

    /// Routes and marks the session connected (refusing a second
    /// connection for the same session).
    pub fn claim(&mut self, first: &Incoming<'_>) -> Result<usize, RouteError> {
        let idx = self.route(first)?;
        let entry = self
            .entries
            .get_mut(idx)
            .ok_or(RouteError::UnknownSession)?;
        if entry.connected {
            return Err(RouteError::AlreadyConnected);
        }
        entry.connected = true;
        Ok(idx)
    }

    /// The session's connection closed.
    pub fn release(&mut self, idx: usize) {
        if let Some(e) = self.entries.get_mut(idx) {
            e.connected = false;
        }
    }

    /// Number of registered sessions.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no session is registered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_by_reversed_comp_ids_and_refuses_duplicates() {
        let mut r = Router::new();
        r.add("FIX.4.2", "ISLD", "TW42");
        let i44 = r.add("FIX.4.4", "ISLD", "TW44");
        let logon = b"8=FIX.4.4\x019=26\x0135=A\x0134=1\x0149=TW44\x0156=ISLD\x0110=000\x01";
        Incoming::parse_with(logon, |m| {
            assert_eq!(r.claim(m), Ok(i44));
            assert_eq!(r.claim(m), Err(RouteError::AlreadyConnected));
            r.release(i44);
            assert_eq!(r.claim(m), Ok(i44));
        })
        .unwrap();
        let wrong = b"8=FIX.4.4\x019=19\x0135=A\x0149=WT\x0156=ISLD\x0110=000\x01";
        let routed = Incoming::parse_with(wrong, |m| r.route(m)).unwrap();
        assert_eq!(routed, Err(RouteError::UnknownSession));
        let hb = b"8=FIX.4.4\x019=21\x0135=0\x0149=TW44\x0156=ISLD\x0110=000\x01";
        let routed = Incoming::parse_with(hb, |m| r.route(m)).unwrap();
        assert_eq!(routed, Err(RouteError::NotLogon));
    }
}
