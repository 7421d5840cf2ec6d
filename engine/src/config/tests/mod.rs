mod backoff;
mod examples;
mod ha;
mod parse;
mod schedule;
mod table;
mod transport;
mod validate;
