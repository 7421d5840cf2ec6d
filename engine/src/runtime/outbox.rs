//! Sending from other threads: a [`SessionHandle`] queues application
//! messages for a session and wakes its reactor (`Remote::notify`); the
//! connection handler drains the queue on the reactor thread and sends
//! through the session (header, sequence number, store as usual).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use super::conn::Conn;
use super::xsend::XSlot;
use crate::reactor::{ConnId, Remote};
use crate::session::Tag;

/// Bytes of queued messages above which [`SessionHandle::send`] refuses.
const MAX_QUEUED_BYTES: usize = 1 << 20;
/// Queue capacity kept between bursts.
const KEEP_BYTES: usize = 64 << 10;

/// Why a message was not queued.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The session is not logged on (nothing is queued for later).
    #[error("session is not logged on")]
    NotLoggedOn,
    /// Too many bytes are waiting for the reactor.
    #[error("send queue full")]
    Full,
    /// The message does not fit the queue's record format.
    #[error("message too large")]
    TooLarge,
    /// The reactor is gone.
    #[error("reactor stopped")]
    Stopped,
}

/// One session's queue and where to wake it.
#[derive(Default)]
pub(crate) struct Outbox {
    queue: Mutex<Vec<u8>>,
    target: Mutex<Option<(Remote<Conn>, ConnId)>>,
    logged_on: AtomicBool,
    /// The lock-free queue of [`XSender`](super::XSender)s, made on demand.
    pub(crate) xslot: XSlot,
}

impl Outbox {
    /// The session is on connection `id` of `remote`'s reactor.
    pub fn attach(&self, remote: Remote<Conn>, id: ConnId) {
        self.xslot.attach(&remote, id);
        if let Ok(mut q) = self.queue.lock() {
            q.clear();
        }
        if let Ok(mut t) = self.target.lock() {
            *t = Some((remote, id));
        }
    }

    /// The connection is gone: refuse sends, drop what is queued.
    pub fn detach(&self) {
        self.logged_on.store(false, Ordering::Release);
        self.xslot.detach();
        if let Ok(mut t) = self.target.lock() {
            *t = None;
        }
        if let Ok(mut q) = self.queue.lock() {
            q.clear();
        }
    }

    pub fn set_logged_on(&self, on: bool) {
        self.logged_on.store(on, Ordering::Release);
        self.xslot.set_logged_on(on);
    }

    /// Takes the queued records into `into` (cleared first). The two
    /// buffers trade places; one a burst grew past [`KEEP_BYTES`] is shrunk
    /// back when it changes hands after a small batch, so a burst does not
    /// pin up to [`MAX_QUEUED_BYTES`] twice per session for good.
    pub fn take(&self, into: &mut Vec<u8>) {
        into.clear();
        if let Ok(mut q) = self.queue.lock() {
            if q.len() <= KEEP_BYTES && into.capacity() > KEEP_BYTES {
                into.shrink_to(KEEP_BYTES);
            }
            std::mem::swap(&mut *q, into);
        }
    }
}

/// Calls `f(msg_type, fields)` for every record in `records`.
pub(crate) fn for_each(
    records: &[u8],
    mut f: impl FnMut(&[u8], &mut dyn Iterator<Item = (Tag, &[u8])>),
) {
    let mut rest = records;
    while let Some((len, tail)) = split_u32(rest) {
        let Some((record, next)) = split_at(tail, len) else {
            return;
        };
        rest = next;
        let Some((type_len, body)) = split_u32(record) else {
            continue;
        };
        let Some((msg_type, mut fields)) = split_at(body, type_len) else {
            continue;
        };
        let mut iter = std::iter::from_fn(move || {
            let (tag, t) = split_u32(fields)?;
            let (vlen, t) = split_u32(t)?;
            let (value, t) = split_at(t, vlen)?;
            fields = t;
            Some((u32::try_from(tag).unwrap_or(0), value))
        });
        f(msg_type, &mut iter);
    }
}

fn split_u32(b: &[u8]) -> Option<(usize, &[u8])> {
    let (head, tail) = split_at(b, 4)?;
    let v = u32::from_le_bytes(head.try_into().ok()?);
    Some((usize::try_from(v).ok()?, tail))
}

fn split_at(b: &[u8], n: usize) -> Option<(&[u8], &[u8])> {
    (b.len() >= n).then(|| b.split_at(n))
}

/// Sends application messages to one session from any thread.
#[derive(Clone)]
pub struct SessionHandle {
    pub(crate) outbox: Arc<Outbox>,
}

impl SessionHandle {
    /// Whether the session is logged on now.
    pub fn is_logged_on(&self) -> bool {
        self.outbox.logged_on.load(Ordering::Acquire)
    }

    /// Queues an application message of `msg_type` with body `fields` (in
    /// order; the session writes the header) and wakes the session's
    /// reactor. Sent in the reactor's next turn, after what it is doing.
    pub fn send(&self, msg_type: &[u8], fields: &[(Tag, &[u8])]) -> Result<(), QueueError> {
        if !self.is_logged_on() {
            return Err(QueueError::NotLoggedOn);
        }
        let target = self.outbox.target.lock().map_err(|_| QueueError::Stopped)?;
        let Some((remote, id)) = &*target else {
            return Err(QueueError::NotLoggedOn);
        };
        {
            let mut q = self.outbox.queue.lock().map_err(|_| QueueError::Stopped)?;
            encode(&mut q, msg_type, fields)?;
        }
        remote.notify(*id).map_err(|_| QueueError::Stopped)
    }
}

/// Appends one record: total length, type length, type, then per field
/// tag, value length, value (little-endian u32s).
fn encode(q: &mut Vec<u8>, msg_type: &[u8], fields: &[(Tag, &[u8])]) -> Result<(), QueueError> {
    let size = 8 + msg_type.len() + fields.iter().map(|(_, v)| 8 + v.len()).sum::<usize>();
    if q.len() + size > MAX_QUEUED_BYTES {
        return Err(QueueError::Full);
    }
    let len = u32::try_from(size - 4).map_err(|_| QueueError::TooLarge)?;
    let type_len = u32::try_from(msg_type.len()).map_err(|_| QueueError::TooLarge)?;
    q.extend_from_slice(&len.to_le_bytes());
    q.extend_from_slice(&type_len.to_le_bytes());
    q.extend_from_slice(msg_type);
    for (tag, v) in fields {
        // Bounded by MAX_QUEUED_BYTES above.
        let vlen = u32::try_from(v.len()).map_err(|_| QueueError::TooLarge)?;
        q.extend_from_slice(&tag.to_le_bytes());
        q.extend_from_slice(&vlen.to_le_bytes());
        q.extend_from_slice(v);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip() {
        let h = SessionHandle {
            outbox: Arc::new(Outbox::default()),
        };
        assert!(matches!(h.send(b"D", &[]), Err(QueueError::NotLoggedOn)));
        h.outbox.set_logged_on(true);
        // Logged on but no connection attached: refused, nothing queued.
        assert!(matches!(h.send(b"D", &[]), Err(QueueError::NotLoggedOn)));
        let mut buf = Vec::new();
        encode(&mut buf, b"D", &[(11, b"A1"), (55, b"X")]).unwrap();
        encode(&mut buf, b"AE", &[(571, b"")]).unwrap();
        let mut seen = Vec::new();
        for_each(&buf, |t, fields| {
            seen.push((
                t.to_vec(),
                fields.map(|(k, v)| (k, v.to_vec())).collect::<Vec<_>>(),
            ));
        });
        assert_eq!(
            seen,
            vec![
                (
                    b"D".to_vec(),
                    vec![(11, b"A1".to_vec()), (55, b"X".to_vec())]
                ),
                (b"AE".to_vec(), vec![(571, Vec::new())]),
            ]
        );
        let big = vec![b'x'; MAX_QUEUED_BYTES];
        // A burst grows the queue; after a small batch it is given back.
        let ob = Outbox::default();
        ob.queue.lock().unwrap().extend_from_slice(&big[..500_000]);
        let mut taken = Vec::new();
        ob.take(&mut taken);
        assert_eq!(taken.len(), 500_000);
        ob.queue.lock().unwrap().extend_from_slice(b"small");
        ob.take(&mut taken);
        assert_eq!(&taken[..], b"small");
        assert!(ob.queue.lock().unwrap().capacity() <= KEEP_BYTES);
        assert!(matches!(
            encode(&mut buf, b"D", &[(58, &big)]),
            Err(QueueError::Full)
        ));
    }
}
