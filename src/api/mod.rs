//! The embedding API: build an [`Engine`] from a `.cfg` file or in code,
//! run an [`Application`] on the reactor threads, send from other threads
//! through a [`SessionSender`], stop gracefully. See the crate-level guide.

mod engine;
pub mod orders;

pub use engine::{Engine, EngineBuilder, Error, DEFAULT_SEND_QUEUE_CAPACITY};
pub use orders::{
    Execution, ExecutionReport, ExecutionView, Id, NewOrderSingle, OrdType, OrderView, Side,
    TimeInForce,
};

pub use ringfix_codec::{fields, Decimal, UtcTimestamp};
pub use ringfix_engine::config::{EngineConfig, ReactorMode, Role, SessionId, SessionSettings};
pub use ringfix_engine::runtime::{
    Exit, SenderDraft, SessionReport, SessionSender, Stopper, Ticket, TicketStatus, TrySendError,
};
/// The per-session settings a callback sees (CompIDs, version, precision).
pub use ringfix_engine::session::SessionSettings as CallbackSettings;
pub use ringfix_engine::session::{
    AppVerdict, Application, FieldWriter, Incoming, LogoutReason, RejectInfo, RejectWay, SendError,
    Sender, SessionDraft,
};
