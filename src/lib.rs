//! ringfix: a FIX engine on io_uring for colocated trading on Linux.
//!
//! This crate is the facade most users embed: [`api`] builds and runs an
//! engine; [`codec`] (zero-copy parsing and encoding, generated field
//! constants in [`codec::fields`]) and [`engine`] (session state machine,
//! store, reactor, configuration, runtime) are re-exported for everything
//! else. The `ringfix` binary's tools (decode, replay, store, stats, the
//! acceptor/initiator runners) live with the binary: an embedder that turns
//! off the default `cli` feature compiles none of their dependencies.
//!
//! # Guide
//!
//! 1. **Configure** sessions from a QuickFIX-style `.cfg` file
//!    ([`EngineBuilder::from_file`](api::EngineBuilder::from_file)) or in
//!    code ([`EngineBuilder::session`](api::EngineBuilder::session) with
//!    [`SessionConfig::initiator`](api::SessionConfig::initiator) /
//!    [`acceptor`](api::SessionConfig::acceptor), fields public).
//! 2. **Write an application**: implement [`Application`](api::Application)
//!    (only `on_app` is required; `on_logon` and `poll` send on your own
//!    initiative, `on_reject` hears every reject sent or received).
//!    Callbacks run on the session's reactor thread with borrowed views of
//!    the inbound bytes ([`Incoming`](api::Incoming): nothing is copied);
//!    do not block in them. Every callback that may send gets a
//!    [`Sender`](api::Sender): it writes straight into the outbound buffer
//!    and returns the MsgSeqNum; `Sender::now` gives the event's time (wall
//!    clock for stamps, monotonic clock for timers).
//! 3. **Start** with [`EngineBuilder::start`](api::EngineBuilder::start),
//!    giving a factory that builds one application per session.
//! 4. **Send from other threads** with a [`SessionSender`](api::SessionSender)
//!    ([`Engine::sender`](api::Engine::sender), one clone per thread): the
//!    caller encodes the body (typed: `tx.start::<M>()`, the same builders
//!    as on the reactor thread; untyped: a field-writing closure), it is
//!    copied into a pooled buffer on a lock-free bounded queue and sent by
//!    the reactor in its next turn. `send` waits for room, `try_send`
//!    never blocks; both return a [`Ticket`](api::Ticket) (the sequence
//!    number is assigned on the reactor thread;
//!    [`SessionSender::status`](api::SessionSender::status) and
//!    [`SessionSender::wait`](api::SessionSender::wait) resolve it) or a
//!    [`TrySendError`](api::TrySendError).
//! 5. **Stop** with [`Engine::stop`](api::Engine::stop) (graceful Logout,
//!    stores flushed) and [`Engine::wait`](api::Engine::wait).
//!
//! ```no_run
//! use std::process::ExitCode;
//! use std::time::Duration;
//!
//! use ringfix::api::{
//!     AppVerdict, Application, SessionSettings, Decimal, EngineBuilder, Incoming, Sender,
//!     SessionId, SessionConfig,
//! };
//! use ringfix::codec::UtcTimestamp;
//! use ringfix::fix44::field::{OrdStatus, OrdType, Side};
//! use ringfix::fix44::prelude::*;
//! use ringfix::fix44::{self, Message};
//!
//! /// Counts fills; runs on the reactor thread.
//! #[derive(Default)]
//! struct Strategy {
//!     fills: u64,
//! }
//!
//! impl Application for Strategy {
//!     fn on_app(
//!         &mut self,
//!         _session: &SessionSettings,
//!         msg: &Incoming<'_>,
//!         _out: &mut Sender<'_>,
//!     ) -> AppVerdict {
//!         // A typed view per FIX.4.4 message type, borrowed from the input.
//!         if let Message::ExecutionReport(er) = fix44::dispatch(*msg.view()) {
//!             if er.ord_status() == Ok(OrdStatus::Filled) {
//!                 self.fills += 1;
//!             }
//!         }
//!         AppVerdict::Accept
//!     }
//! }
//!
//! fn main() -> Result<ExitCode, Box<dyn std::error::Error>> {
//!     let id = SessionId::new("FIX.4.4", "CLIENT", "EXCHANGE");
//!     let mut settings =
//!         SessionConfig::initiator(id.clone(), "127.0.0.1", 9878, Duration::from_secs(30));
//!     settings.reset.on_logon = true;
//!     let mut engine = EngineBuilder::new()
//!         .session(settings)
//!         .start(|_s: &SessionConfig| Strategy::default())?;
//!
//!     // Any thread: the generated builder (send() compiles only once
//!     // ClOrdID, Side, TransactTime and OrdType are set), the reactor sends.
//!     let mut tx = engine.sender(&id).ok_or("unknown session")?;
//!     if tx.wait_logged_on(Duration::from_secs(10)) {
//!         let ticket = tx.start::<fix44::NewOrderSingle>()?
//!             .cl_ord_id("1")
//!             .symbol("RFIX")
//!             .side(Side::Buy)
//!             .order_qty(Decimal::new(100, 0))
//!             .ord_type(OrdType::Limit)
//!             .price(Decimal::new(10025, 2))
//!             .transact_time(UtcTimestamp::now())
//!             .send()?;
//!         println!("order 1: {:?}", tx.wait(ticket, Duration::from_secs(1)));
//!     }
//!     engine.stop();
//!     let exit = engine.wait();
//!     drop(engine); // removes the shared-memory statistics page
//!     Ok(ExitCode::from(exit.code()))
//! }
//! ```
//!
//! Runnable programs: `examples/exchange_acceptor.rs` (an acceptor that
//! fills orders in parts) and `examples/initiator_strategy.rs` (a strategy
//! thread sending through a `SessionSender`, printing round-trip
//! percentiles):
//!
//! ```text
//! cargo run --release --example exchange_acceptor -- --port 9878
//! cargo run --release --example initiator_strategy -- --port 9878 --count 10000
//! ```
#![deny(missing_docs)]
pub use ringfix_codec as codec;
pub use ringfix_engine as engine;
/// Typed messages of the shipped versions (each behind its feature):
/// `fix40` .. `fix50sp2`, `fixt11`, and [`dispatch`] by version.
pub use ringfix_messages::*;
pub mod api;
