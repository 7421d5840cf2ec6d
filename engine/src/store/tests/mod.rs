//! Store tests: a contract every `MessageStore` meets, then per-store
//! behaviour (files, crash recovery, faults).

mod backup;
mod contract;
mod crash;
mod failing;
mod file;
mod quickfix;
mod segments;
mod upkeep;
