//! The embedding API: build an [`Engine`] from a `.cfg` file or in code,
//! run an [`Application`] on the reactor threads, send from other threads
//! through a [`SessionSender`], stop gracefully. See the crate-level guide.

//!
//! Messages are built and read with the generated types of the session's
//! version (`ringfix::fix44::NewOrderSingle`, `fix44::dispatch`, ...): the
//! same builder sends from a callback ([`Sender::start`]) and from another
//! thread ([`SessionSender::start`]).

mod engine;

pub use engine::{Engine, EngineBuilder, Error, DEFAULT_SEND_QUEUE_CAPACITY};

pub use ringfix_codec::{fields, Decimal, UtcTimestamp};
pub use ringfix_engine::config::{EngineConfig, ReactorMode, Role, SessionConfig, SessionId};
pub use ringfix_engine::runtime::{
    Exit, SenderDraft, SessionReport, SessionSender, Stopper, Ticket, TicketStatus, TrySendError,
};
/// The per-session settings a callback sees (CompIDs, version, precision).
pub use ringfix_engine::session::SessionSettings;
pub use ringfix_engine::session::{
    AppVerdict, Application, FieldWriter, Incoming, LogoutReason, RejectInfo, RejectWay, SendError,
    Sender, SessionDraft,
};
