//! Tracing output without secrets: a writer that masks the
//! `RedactFieldsInLogs` tags' values (`554=***`) in every record it is
//! given, for a `tracing_subscriber` fmt layer (`with_writer`).

use std::io::{self, Write};
use std::sync::{Arc, RwLock};

use ringfix_codec::redact::Redaction;

/// The tags masked in tracing output, shared by every writer made from it;
/// [`set`](Self::set) once the configuration is known (until then the
/// default password tags).
#[derive(Clone, Default)]
pub struct TraceRedaction(Arc<RwLock<Redaction>>);

impl TraceRedaction {
    /// Masks the tags of every one of `redactions` (the sessions'
    /// `RedactFieldsInLogs`): a tag one session hides is hidden in the
    /// output all sessions share.
    pub fn set<'a>(&self, redactions: impl IntoIterator<Item = &'a Redaction>) {
        let tags: Vec<_> = redactions
            .into_iter()
            .flat_map(|r| r.tags().iter().copied())
            .collect();
        if let Ok(mut r) = self.0.write() {
            *r = Redaction::new(tags);
        }
    }

    /// A writer into `inner` masking these tags.
    pub fn writer<W: Write>(&self, inner: W) -> RedactingWriter<W> {
        RedactingWriter {
            redact: Arc::clone(&self.0),
            inner,
        }
    }
}

/// Writes each buffer it is given (a formatted tracing record) with the
/// masked tags' values replaced.
pub struct RedactingWriter<W> {
    redact: Arc<RwLock<Redaction>>,
    inner: W,
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let masked = match (std::str::from_utf8(buf), self.redact.read()) {
            (Ok(text), Ok(r)) => match r.redact_text(text) {
                std::borrow::Cow::Owned(t) => Some(t),
                std::borrow::Cow::Borrowed(_) => None,
            },
            _ => None,
        };
        match masked {
            Some(t) => self.inner.write_all(t.as_bytes())?,
            None => self.inner.write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Clone, Default)]
    struct Out(Arc<Mutex<Vec<u8>>>);

    impl Write for Out {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// A tracing subscriber writing through it: a record holding a Logon
    /// shows `***` for the configured tags, before and after `set`.
    #[test]
    fn tracing_records_are_masked() {
        let out = Out::default();
        let redaction = TraceRedaction::default();
        let (o, r) = (out.clone(), redaction.clone());
        let sub = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || r.writer(o.clone()))
            .finish();
        tracing::subscriber::with_default(sub, || {
            tracing::warn!(msg = "35=A|553=bob|554=pw1|", "first");
            redaction.set([&Redaction::new([553]), &Redaction::new([58])]);
            tracing::warn!("second 8=FIX.4.4\x01553=bob\x01554=pw2\x0158=txt\x01");
        });
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(
            lines[0].contains("553=bob|554=***|") && lines[0].contains("first"),
            "{text}"
        );
        assert!(
            lines[1].contains("\x01553=***\x01554=pw2\x0158=***\x01"),
            "{text}"
        );
    }
}
