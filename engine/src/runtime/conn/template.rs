//! A Logon for no configured session of the listener that matches one of
//! its `AcceptorTemplate` sessions (see `runtime::dynamic`): the session
//! made earlier for its CompIDs, or a new one made on a side thread while
//! the Logon waits (bounded by the template's LogonTimeout), or a Logout
//! saying why not (CompIDs that cannot name files, `MaxDynamicSessions`).

use std::sync::Arc;
use std::time::Instant;

use ringfix_codec::{Encoder, TimePrecision};

use super::super::dynamic::{Found, Template};
use super::super::side::Reply;
use super::bind::{PendingLogon, Wait, INVALID_CREDENTIALS, VERIFY_BUSY};
use super::{peer_text, Link, ListenerTable, State, FLUSH_NANOS};
use crate::reactor::{CloseMode, Ctx};
use crate::session::Incoming;
use crate::time::Now;

fn lossy(b: Option<&[u8]>) -> String {
    String::from_utf8_lossy(b.unwrap_or_default()).into_owned()
}

impl Link {
    /// The listener's template this Logon matches, if any.
    pub(super) fn template_for(
        &self,
        table: &ListenerTable,
        msg: &Incoming<'_>,
    ) -> Option<Arc<Template>> {
        let v = msg.view();
        let (ours, theirs) = (v.target_comp_id()?, v.sender_comp_id()?);
        table
            .templates
            .iter()
            .find(|t| t.matches(v.begin_string(), ours, theirs))
            .cloned()
    }

    pub(super) fn bind_template(
        &mut self,
        table: &Arc<ListenerTable>,
        msg: &Incoming<'_>,
        frame: &[u8],
        ctx: &mut Ctx<'_>,
        now: Now,
    ) {
        let (Some(t), Some(dynamic)) = (self.template_for(table, msg), table.dynamic.clone())
        else {
            return ctx.close(CloseMode::Now);
        };
        let v = msg.view();
        let ours = v.target_comp_id().unwrap_or_default();
        let theirs = v.sender_comp_id().unwrap_or_default();
        match dynamic.find_or_reserve(&t, v.begin_string(), ours, theirs) {
            Found::Existing(slot) => {
                let credentials = t.credentials.clone();
                self.bind_slot(Arc::clone(table), slot, credentials, msg, frame, ctx, now);
            }
            Found::Refused(text) => {
                table.guard.failed(self.ip(), Instant::now());
                self.refused_bare(&text, msg, ctx, now);
            }
            Found::Create(key, slot) => {
                let (reply, answer) = Reply::new(self.remote.clone(), ctx.id());
                let (job_t, job_slot, job_dyn) =
                    (Arc::clone(&t), Arc::clone(&slot), Arc::clone(&dynamic));
                let job_key = key.clone();
                let user = msg.get(553).unwrap_or_default().to_vec();
                let password = msg.get(554).unwrap_or_default().to_vec();
                let job = Box::new(move || {
                    if let Some(c) = &job_t.credentials {
                        // Keyed by the session's TargetCompID: theirs.
                        if !c.verify(&job_key.2, &user, &password) {
                            job_dyn.forget(&job_key);
                            return reply.deliver(Err(INVALID_CREDENTIALS.to_owned()));
                        }
                    }
                    let made = job_dyn.create(&job_t, &job_key, &job_slot);
                    reply.deliver(made);
                });
                if !table.side.as_ref().is_some_and(|s| s.submit(job)) {
                    dynamic.forget(&key);
                    return self.refused_bare(VERIFY_BUSY, msg, ctx, now);
                }
                let timeout =
                    i64::try_from(t.cfg.timing.logon_timeout.as_nanos()).unwrap_or(i64::MAX);
                self.state = State::Pending(Box::new(PendingLogon {
                    table: Arc::clone(table),
                    slot,
                    wait: Wait::Session { answer },
                    logon: frame.to_vec(),
                    held: Vec::new(),
                    held_bytes: 0,
                    deadline: now.mono.add_nanos(timeout),
                }));
            }
        }
    }

    /// A Logout with `text` answering a Logon that has no session (none
    /// made, none to be): MsgSeqNum 1, the Logon's CompIDs swapped; the
    /// connection closes once it is sent.
    pub(super) fn refused_bare(
        &mut self,
        text: &str,
        msg: &Incoming<'_>,
        ctx: &mut Ctx<'_>,
        now: Now,
    ) {
        let v = msg.view();
        let (ours, theirs) = (lossy(v.target_comp_id()), lossy(v.sender_comp_id()));
        let peer = peer_text(self.peer);
        tracing::warn!(
            event = "logon_refused",
            sender_comp_id = %theirs,
            target_comp_id = %ours,
            %peer,
            "Logon refused: {text}"
        );
        let out = ctx.outbound();
        let mut e = Encoder::new(out, v.begin_string(), b"5");
        e.uint(34, 1)
            .str(49, &ours)
            .timestamp(52, now.wall, TimePrecision::Millis)
            .str(56, &theirs)
            .str(58, text);
        e.finish();
        ctx.close(CloseMode::Graceful);
        self.close_by = Some(now.mono.add_nanos(FLUSH_NANOS));
        self.state = State::Closed;
    }
}
